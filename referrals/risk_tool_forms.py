"""The form for an assessment made with another risk tool (ADR 0024): which tool and version, the
level it gave, when, by which agency, and the assessor's rationale. No question of the tool is
asked: the project does not hold them."""

from django import forms

from marac.govuk_forms import GovukDateField, IdChoiceField
from marac.models import Agency
from referrals import risk_tools
from referrals.forms import not_in_future
from referrals.risk_tool_services import RATIONALE_LIMIT


def _tool_label(tool: risk_tools.RiskTool) -> str:
    return f"{tool.name}, a variant of the {tool.variant_of}" if tool.variant_of else tool.name


class ToolAssessmentForm(forms.Form):
    tool = forms.ChoiceField(
        label="Which risk tool was used?",
        choices=[(t.key, _tool_label(t)) for t in risk_tools.TOOLS.values()],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the risk tool the assessment was made with", "invalid_choice": "Choose one of the risk tools"},
    )
    level = forms.ChoiceField(
        label="What level did the tool give?",
        choices=risk_tools.LEVEL_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the level the tool gave", "invalid_choice": "Choose one of the levels"},
    )
    assessed_on = GovukDateField(
        label="Date of the assessment", validators=[not_in_future], error_messages={"required": "Enter the date of the assessment"}
    )
    assessing_agency = IdChoiceField(
        label="Agency that made the assessment",
        queryset=Agency.objects.order_by("name"),
        empty_label="Choose the agency",
        error_messages={"required": "Choose the agency that made the assessment", "invalid_choice": "Choose one of the agencies"},
    )
    rationale = forms.CharField(
        label="The assessor's rationale",
        max_length=RATIONALE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why the tool's level was given, in the assessor's words. Do not copy the tool's questions here.",
        error_messages={"required": "Give the assessor's rationale for the level"},
    )

    def clean(self):
        data = super().clean()
        chosen = risk_tools.tool_by_key(data.get("tool", ""))
        if chosen and data.get("level") and data["level"] not in chosen.level_codes:
            names = ", ".join(label.lower() for _, label in chosen.levels)
            self.add_error("level", f"Choose a level {chosen.name} gives: {names}")
        return data
