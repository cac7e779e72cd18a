"""Read-only admin for evidence: nothing about an item or its custody is edited here."""

from django.contrib import admin

from evidence.models import CustodyEvent, EvidenceItem


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CustodyInline(admin.TabularInline):
    model = CustodyEvent
    fields = ("at", "action", "actor", "ip", "reason", "sha256")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EvidenceItem)
class EvidenceItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "incident", "kind", "original_name", "size", "status", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("original_name", "sha256", "sha1", "md5", "receipt_sha256", "source_host")
    inlines = [CustodyInline]


@admin.register(CustodyEvent)
class CustodyEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "item", "action", "actor", "at", "ip")
    list_filter = ("action",)
