"""Forms render as GOV.UK Design System components (marac/govuk_forms.py, templates/forms/)."""

import datetime
from html.parser import HTMLParser

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test.html import parse_html

from marac.govuk_forms import GovukDateField

SCRIPT = "<script>alert(1)</script>"


class ReferralForm(forms.Form):
    """One field of each kind the templates handle."""

    name = forms.CharField(
        label="Victim's name",
        help_text="As they would like to be called",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "govuk-input--width-20"}),
    )
    summary = forms.CharField(label="What happened", max_length=50, widget=forms.Textarea)
    agency = forms.ChoiceField(label="Referring agency", choices=[("", "Choose an agency"), ("police", "Police"), ("idva", "IDVA")])
    risk = forms.ChoiceField(
        label="Risk level",
        help_text="From the risk checklist",
        choices=[("high", "High"), ("medium", "Medium")],
        widget=forms.RadioSelect,
    )
    needs = forms.MultipleChoiceField(
        label="Needs", choices=[("housing", "Housing"), ("language", "Interpreter")], widget=forms.CheckboxSelectMultiple
    )
    consent = forms.BooleanField(label="The victim consents to the referral")
    incident = GovukDateField(label="Date of incident", help_text="For example, 27 3 2025")
    token = forms.CharField(widget=forms.HiddenInput)


VALID = {
    "name": "Sam",
    "summary": "Text",
    "agency": "police",
    "risk": "high",
    "needs": ["housing", "language"],
    "consent": "on",
    "incident_day": "27",
    "incident_month": "3",
    "incident_year": "2025",
    "token": "t",
}


class _StartTags(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def element(html, **attrs):
    """The one start tag whose attributes include `attrs` (as a dict of its attributes)."""
    matches = [found for _, found in _StartTags(html).tags if attrs.items() <= found.items()]
    assert len(matches) == 1, f"{len(matches)} elements match {attrs}"
    return matches[0]


def classes(html, **attrs):
    return set(element(html, **attrs).get("class", "").split())


def contains(html, fragment):
    return parse_html(fragment) in parse_html(html)


def submitted(**changes):
    form = ReferralForm(data={**VALID, **changes})
    form.is_valid()
    return form


def summary(form):
    return render_to_string("components/error_summary.html", {"form": form})


def test_a_text_input_has_a_label_hint_and_keeps_its_widget_attributes():
    html = str(ReferralForm()["name"].as_field_group())

    assert contains(html, '<label class="govuk-label" for="id_name">Victim&#x27;s name</label>')
    assert contains(html, '<div id="id_name-hint" class="govuk-hint">As they would like to be called</div>')
    field = element(html, id="id_name")
    assert field["type"] == "text" and field["name"] == "name"
    assert field["autocomplete"] == "off" and field["maxlength"] == "20" and "required" in field
    assert field["aria-describedby"] == "id_name-hint"
    assert classes(html, id="id_name") == {"govuk-input", "govuk-input--width-20"}
    assert "govuk-form-group--error" not in html and "govuk-error-message" not in html


def test_a_failed_submit_marks_the_text_input_and_keeps_the_escaped_text():
    html = str(submitted(name=SCRIPT)["name"].as_field_group())

    assert element(html, **{"class": "govuk-form-group govuk-form-group--error"})
    assert classes(html, id="id_name") == {"govuk-input", "govuk-input--width-20", "govuk-input--error"}
    assert element(html, id="id_name")["value"] == SCRIPT  # the parser unescapes: the text is kept
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert element(html, id="id_name")["aria-describedby"] == "id_name-hint id_name-error"
    assert contains(
        html,
        '<p id="id_name-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span>'
        " Ensure this value has at most 20 characters (it has 25).</p>",
    )


def test_hint_text_is_escaped():
    class HintForm(forms.Form):
        name = forms.CharField(help_text=SCRIPT)

    assert "<script>" not in str(HintForm()) and "&lt;script&gt;" in str(HintForm())


def test_a_textarea_keeps_what_was_typed_after_an_error():
    html = str(submitted(summary="x" * 40 + SCRIPT)["summary"].as_field_group())

    assert classes(html, id="id_summary") == {"govuk-textarea", "govuk-textarea--error"}
    assert contains(html, '<label class="govuk-label" for="id_summary">What happened</label>')
    assert "x" * 40 + "&lt;script&gt;" in html and "<script>" not in html


def test_a_select_keeps_the_chosen_option_and_shows_its_error():
    valid = str(submitted(agency="idva")["agency"].as_field_group())
    assert classes(valid, id="id_agency") == {"govuk-select"}
    assert "selected" in element(valid, value="idva") and "selected" not in element(valid, value="police")

    invalid = str(submitted(agency="")["agency"].as_field_group())
    assert classes(invalid, id="id_agency") == {"govuk-select", "govuk-select--error"}
    assert element(invalid, id="id_agency")["aria-describedby"] == "id_agency-error"


def test_radios_sit_in_a_fieldset_described_by_the_hint_and_error():
    html = str(submitted(risk="")["risk"].as_field_group())

    assert element(html, **{"class": "govuk-fieldset"})["aria-describedby"] == "id_risk-hint id_risk-error"
    assert contains(html, '<legend class="govuk-fieldset__legend">Risk level</legend>')
    assert element(html, **{"data-module": "govuk-radios"})["class"] == "govuk-radios"
    assert classes(html, id="id_risk_0") == {"govuk-radios__input"}
    assert element(html, id="id_risk_1")["value"] == "medium"
    assert contains(html, '<label class="govuk-label govuk-radios__label" for="id_risk_1">Medium</label>')
    assert "Error:</span> This field is required." in html


def test_radios_keep_the_choice_after_a_failed_submit():
    html = str(submitted(name="")["risk"].as_field_group())

    assert "checked" in element(html, id="id_risk_0") and "checked" not in element(html, id="id_risk_1")


def test_checkboxes_keep_every_ticked_box():
    html = str(submitted(name="", needs=["language"])["needs"].as_field_group())

    assert element(html, **{"data-module": "govuk-checkboxes"})["class"] == "govuk-checkboxes"
    assert classes(html, id="id_needs_0") == {"govuk-checkboxes__input"}
    assert "checked" not in element(html, id="id_needs_0") and "checked" in element(html, id="id_needs_1")
    assert contains(html, '<label class="govuk-label govuk-checkboxes__label" for="id_needs_1">Interpreter</label>')


def test_a_single_checkbox_is_a_one_item_checkboxes_component():
    html = str(submitted(consent="")["consent"].as_field_group())

    box = element(html, id="id_consent")
    assert box["type"] == "checkbox" and box["aria-describedby"] == "id_consent-error"
    assert classes(html, id="id_consent") == {"govuk-checkboxes__input"}
    assert contains(html, '<label class="govuk-label govuk-checkboxes__label" for="id_consent">The victim consents to the referral</label>')
    assert "govuk-form-group--error" in html and "<fieldset" not in html


def test_a_date_is_typed_into_day_month_and_year_boxes():
    form = ReferralForm(initial={"incident": datetime.date(2025, 3, 7)})
    html = str(form["incident"].as_field_group())

    assert element(html, **{"class": "govuk-fieldset"}) == {
        "class": "govuk-fieldset",
        "role": "group",
        "aria-describedby": "id_incident-hint",
    }
    day = element(html, id="id_incident_0")
    assert (day["name"], day["value"], day["inputmode"], day["type"]) == ("incident_day", "7", "numeric", "text")
    assert classes(html, id="id_incident_2") == {"govuk-input", "govuk-date-input__input", "govuk-input--width-4"}
    assert element(html, id="id_incident_2")["value"] == "2025"
    assert contains(html, '<label class="govuk-label govuk-date-input__label" for="id_incident_1">Month</label>')
    assert submitted().cleaned_data["incident"] == datetime.date(2025, 3, 27)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "2025", "Date of incident must be a real date"),
        ("31/02/abc", "2", "2025", "Date of incident must be a real date"),
        ("1_0", "2", "2025", "Date of incident must be a real date"),
        ("\u0663", "2", "2025", "Date of incident must be a real date"),  # Arabic-Indic 3
        ("0", "13", "2025", "Date of incident must be a real date"),
        ("9" * 30, "2", "2025", "Date of incident must be a real date"),
        ("9" * 5000, "2", "2025", "Date of incident must be a real date"),  # past int()'s digit limit
        ("1", "2", "99999", "Year must include 4 numbers"),
        ("1", "2", "25", "Year must include 4 numbers"),
        ("1", "", "2025", "Date of incident must include a month"),
        ("", "", "2025", "Date of incident must include a day and month"),
        ("", "", "", "Enter a date"),
        (" ", "", " ", "Enter a date"),
    ],
)
def test_a_date_that_is_not_real_gets_a_clear_message_and_keeps_what_was_typed(day, month, year, message):
    form = submitted(incident_day=day, incident_month=month, incident_year=year)

    assert form.errors["incident"] == [message]
    html = str(form["incident"].as_field_group())
    assert element(html, id="id_incident_0").get("value", "") == day
    assert element(html, id="id_incident_2").get("value", "") == year
    assert "govuk-input--error" in classes(html, id="id_incident_1")
    assert element(html, role="group")["aria-describedby"] == "id_incident-hint id_incident-error"


def test_an_optional_date_left_blank_is_none():
    field = GovukDateField(required=False)

    assert field.clean(["", " ", ""]) is None
    assert field.clean([" 1", "12 ", "2024"]) == datetime.date(2024, 12, 1)


def test_the_error_summary_links_each_error_to_its_field():
    form = submitted(name="", agency="", risk="", needs=[], consent="", incident_day="31", incident_month="2")
    form.add_error(None, "This referral has already been sent")
    html = summary(form)

    assert element(html, **{"data-module": "govuk-error-summary"})["class"] == "govuk-error-summary"
    assert contains(html, '<h2 class="govuk-error-summary__title">There is a problem</h2>')
    assert element(html, role="alert") == {"role": "alert"}
    links = [attrs["href"] for tag, attrs in _StartTags(html).tags if tag == "a"]
    # The form-wide error links to the first field, as GOV.UK asks every error to be a link.
    assert links == ["#id_name", "#id_name", "#id_agency", "#id_risk_0", "#id_needs_0", "#id_consent", "#id_incident_0"]
    assert contains(html, '<a href="#id_incident_0">Date of incident must be a real date</a>')
    assert contains(html, '<a href="#id_name">This referral has already been sent</a>')


def test_the_error_summary_is_empty_without_errors():
    assert summary(ReferralForm()).strip() == ""
    assert summary(submitted()).strip() == ""


def test_the_error_summary_escapes_error_text():
    form = submitted()
    form.add_error("name", SCRIPT)

    assert "<script>" not in summary(form) and "&lt;script&gt;" in summary(form)


def test_a_whole_form_renders_every_field_the_hidden_ones_and_form_wide_errors():
    form = submitted(token="")
    form.add_error(None, "This referral has already been sent")
    html = str(form)

    for id_ in ("id_name", "id_summary", "id_agency", "id_risk_0", "id_needs_0", "id_consent", "id_incident_0"):
        assert element(html, id=id_)
    assert element(html, id="id_token") == {"type": "hidden", "name": "token", "id": "id_token"}
    assert contains(
        html,
        '<p class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> This referral has already been sent</p>',
    )
    assert "(Hidden field token) This field is required." in html


@pytest.mark.parametrize("data", [None, VALID, dict.fromkeys(VALID, "")], ids=["new", "valid", "empty"])
def test_no_inline_style_or_script_is_emitted(data):
    form = ReferralForm(data=data)
    html = str(form) + summary(form)

    assert not any("style" in attrs for _, attrs in _StartTags(html).tags)
    assert not any(tag in ("script", "style") for tag, _ in _StartTags(html).tags)
