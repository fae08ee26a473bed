from datetime import date

from marac.security.policy import WITHHELD
from referrals.templatetags.records import shown


def test_values_are_shown_for_people():
    assert shown(date(1989, 3, 4)) == "4 March 1989"
    assert shown(["Jo Pryce", "1985-09-01"]) == "Jo Pryce, 1 September 1985"
    assert shown("") == shown(None) == shown([]) == "Not recorded"
    assert shown("Line one\nLine two") == "Line one<br>Line two"
    assert shown(True) == "Yes" and shown(False) == "No"


def test_withheld_is_a_tag_and_text_is_escaped():
    assert "govuk-tag" in shown(WITHHELD) and "Withheld" in shown(WITHHELD)
    assert shown("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert shown(["<b>x</b>"]) == "<b>x</b>"  # a plain str: the template escapes it
