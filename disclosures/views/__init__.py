"""HTML views of disclosures: the pages (detail, new, exports, templates) and the
detail page's writes (edit, submit, approve, publish, withdraw)."""

from disclosures.views.actions import (
    disclosure_approve,
    disclosure_edit,
    disclosure_materiality,
    disclosure_publish,
    disclosure_submit,
    disclosure_withdraw,
)
from disclosures.views.pages import (
    disclosure_detail,
    disclosure_export_markdown,
    disclosure_export_print,
    disclosure_new,
    template_edit,
    template_list,
)

__all__ = [
    "disclosure_approve",
    "disclosure_detail",
    "disclosure_edit",
    "disclosure_export_markdown",
    "disclosure_export_print",
    "disclosure_materiality",
    "disclosure_new",
    "disclosure_publish",
    "disclosure_submit",
    "disclosure_withdraw",
    "template_edit",
    "template_list",
]
