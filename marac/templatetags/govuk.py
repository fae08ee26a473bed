"""Filters for the GOV.UK form templates in templates/forms/.

Controls are rendered by Django's own widgets, so the user's value, `type`, `maxlength`,
`autocomplete`, `required` and escaping stay Django's; these filters only add GOV.UK classes
and the ids that tie hints and errors to the control.
"""

from django import forms, template
from django.forms.boundfield import BoundWidget

from marac.govuk_forms import GovukDateInput

register = template.Library()

# Order matters: CheckboxSelectMultiple is a RadioSelect, and RadioSelect a Select.
_KINDS = (
    (GovukDateInput, "date"),
    (forms.CheckboxSelectMultiple, "checkboxes"),
    (forms.RadioSelect, "radios"),
    (forms.CheckboxInput, "checkbox"),
    (forms.Select, "select"),
    (forms.Textarea, "textarea"),
)

# Kind: (class, extra class when the field has an error).
_CONTROL_CLASSES = {
    "input": ("govuk-input", "govuk-input--error"),
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "checkbox": ("govuk-checkboxes__input", ""),
}


@register.filter
def govuk_kind(field):
    """Which template in templates/forms/govuk/ renders this bound field."""
    for widget_class, kind in _KINDS:
        if isinstance(field.field.widget, widget_class):
            return kind
    return "input"


@register.filter
def govuk_describedby(field):
    """The hint and error message ids, for aria-describedby ("" when there are neither)."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.filter
def govuk_error_target(field):
    """The id the error summary links to: the first radio or checkbox, the day box of a date."""
    if govuk_kind(field) in ("radios", "checkboxes"):
        options = field.subwidgets
        return options[0].id_for_label if options else field.auto_id
    return field.id_for_label


@register.filter
def govuk_control(field):
    """The field's <input>, <textarea> or <select>, rendered by Django with GOV.UK classes."""
    css, error_css = _CONTROL_CLASSES[govuk_kind(field)]
    classes = [css, field.field.widget.attrs.get("class", ""), error_css if field.errors else ""]
    attrs = {"class": " ".join(c for c in classes if c)}
    if describedby := govuk_describedby(field):
        attrs["aria-describedby"] = describedby
    return field.as_widget(attrs=attrs)


@register.filter
def govuk_option(option):
    """One radio or checkbox <input> of a choice field, rendered by Django (value, checked, id)."""
    kind = "radios" if option.data["type"] == "radio" else "checkboxes"
    data = {**option.data, "attrs": {**option.data["attrs"], "class": f"govuk-{kind}__input"}}
    return BoundWidget(option.parent_widget, data, option.renderer).tag()


@register.filter
def govuk_date_parts(field):
    """The day, month and year boxes as label, id and <input>, keeping what the user typed."""
    context = field.subwidgets[0].data  # the GovukDateInput's context: one entry per box
    parts = []
    for label, box, widget in zip(GovukDateInput.labels, context["subwidgets"], field.field.widget.widgets, strict=True):
        attrs = dict(box["attrs"])
        if field.errors:
            attrs["class"] = f"{attrs.get('class', '')} govuk-input--error".strip()
        html = widget.render(box["name"], box["value"], attrs, field.form.renderer)
        parts.append({"label": label, "id": attrs.get("id", ""), "html": html})
    return parts
