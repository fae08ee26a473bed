"""What other apps may hear about a case without referrals knowing who listens (it imports
nothing above it: meetings connects its handlers in meetings/contributions.py).

Both are sent inside the transaction that made the change, with `case_id`.
"""

from django.dispatch import Signal

# The case's people or details changed: anything prepared from them (a stored meeting pack) is out of date.
case_changed = Signal()
# The case was erased: anything kept about it outside its own encrypted records must go.
case_erased = Signal()
