"""Browser forms of observables: paste many, edit one, delete one, filter, search."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.forms import Form
from core.marking import PAP, TLP
from observables.models import MAX_TAG_LENGTH, MAX_TAGS
from observables.paste import MAX_LINES, MAX_PASTE_CHARACTERS
from observables.values import MAX_VALUE_LENGTH, ObservableType

GUESS = ""
MAX_QUERY_LENGTH = MAX_VALUE_LENGTH
MAX_TAGS_INPUT = MAX_TAGS * (MAX_TAG_LENGTH + 2)


def split_tags(raw: str) -> list[str]:
    tags = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.")
    if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        raise ValidationError(f"Each tag is at most {MAX_TAG_LENGTH} characters.")
    return tags


class PasteForm(Form):
    text = forms.CharField(
        label="Values, one per line",
        max_length=MAX_PASTE_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=(
            f"Up to {MAX_LINES} lines. Defanged values (hxxp, [.]) are fine. Each line's type "
            "is guessed unless you choose one, or the line starts with it (sha256: …)."
        ),
    )
    type = forms.ChoiceField(
        choices=[(GUESS, "Guess for each line"), *ObservableType.choices],
        required=False,
        label="Type",
    )
    tlp = forms.ChoiceField(
        choices=[("", "The incident's"), *TLP.choices], required=False, label="TLP"
    )
    pap = forms.ChoiceField(
        choices=[("", "The incident's"), *PAP.choices], required=False, label="PAP"
    )
    is_ioc = forms.BooleanField(required=False, label="Indicators of compromise")
    tags = forms.CharField(
        required=False,
        max_length=MAX_TAGS_INPUT,
        label="Tags",
        help_text="Separate them with commas.",
    )

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if sum(1 for line in text.splitlines() if line.strip()) > MAX_LINES:
            raise ValidationError(f"At most {MAX_LINES} lines at once.")
        return text


class ObservableEditForm(Form):
    tlp = forms.ChoiceField(choices=TLP.choices, label="TLP")
    pap = forms.ChoiceField(choices=PAP.choices, label="PAP")
    is_ioc = forms.BooleanField(required=False, label="Indicator of compromise")
    sighted = forms.BooleanField(required=False, label="Sighted")
    ignore_for_correlation = forms.BooleanField(
        required=False,
        label="Ignore for correlation",
        help_text="A common value: never matched with other incidents.",
    )
    tags = forms.CharField(required=False, max_length=MAX_TAGS_INPUT, label="Tags")
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, observable=None, **kwargs):
        if observable is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "tlp": observable.tlp,
                "pap": observable.pap,
                "is_ioc": observable.is_ioc,
                "sighted": observable.sighted,
                "ignore_for_correlation": observable.ignore_for_correlation,
                "tags": ", ".join(observable.tags),
                "description": observable.description,
            }
        prefix = f"obs{observable.pk}" if observable is not None else None
        super().__init__(*args, prefix=prefix, **kwargs)

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])


class DeleteForm(Form):
    reason = forms.CharField(max_length=2000, label="Reason")


class FilterForm(Form):
    """The section's GET filters (prefixed, as they share the incident page's URL)."""

    obs_type = forms.ChoiceField(
        choices=[("", "Any type"), *ObservableType.choices], required=False, label="Type"
    )
    obs_tlp = forms.ChoiceField(
        choices=[("", "Any TLP"), *TLP.choices], required=False, label="TLP"
    )
    obs_ioc = forms.ChoiceField(
        choices=[("", "IOC or not"), ("yes", "IOCs only"), ("no", "Not IOCs")],
        required=False,
        label="IOC",
    )

    def filters(self) -> dict:
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        ioc = data.get("obs_ioc")
        return {
            "type": data.get("obs_type") or None,
            "tlp": data.get("obs_tlp") or None,
            "is_ioc": {"yes": True, "no": False}.get(ioc or ""),
        }


class SearchForm(Form):
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        label="Value",
        help_text="An address, name, hash… (defanged is fine), in every incident you may see.",
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}),
    )
    type = forms.ChoiceField(
        choices=[("", "Any type it fits"), *ObservableType.choices], required=False, label="Type"
    )


class ImportForm(Form):
    file = forms.FileField(
        label="STIX 2.1 bundle or MISP event (JSON)",
        help_text="Up to 5 MB and 1,000 observables; each is added as imported.",
    )
