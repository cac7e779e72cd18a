"""Admin: disclosures and their records are read-only here (writes go through the
services); templates may be edited by those with the permission."""

from django.contrib import admin

from disclosures.models import (
    Approval,
    Disclosure,
    DisclosureTemplate,
    DisclosureVersion,
    Publication,
    ReminderSent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("id", "incident", "audience", "regime", "status", "created_at")
    list_filter = ("status", "audience", "regime")


@admin.register(DisclosureVersion)
class DisclosureVersionAdmin(ReadOnlyAdmin):
    list_display = ("disclosure", "number", "author", "created_at", "sha256")


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("disclosure", "version", "approver", "role", "approved_at", "voided_at")


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ("disclosure", "version", "channel", "published_by", "published_at")


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    list_display = ("disclosure", "deadline", "point", "sent_at")


@admin.register(DisclosureTemplate)
class DisclosureTemplateAdmin(admin.ModelAdmin):
    list_display = ("audience", "regime", "updated_by", "updated_at")
    readonly_fields = ("updated_by", "updated_at")
