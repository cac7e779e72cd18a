"""Timeline entries and crew of an incident over the API, through the need-to-know gate."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from accounts.api.permissions import TokenHasScope, read_write_scopes
from accounts.api.serializers import StrictFieldsMixin
from accounts.models import User
from accounts.scopes import Scope
from incidents import services
from incidents.api.systems import OldestFirst
from incidents.models import CrewMember, EntryKind, TimelineEntry
from incidents.selectors import incident_get


def _incident(view):
    return incident_get(user=view.request.user, pk=view.kwargs["incident_pk"])


class TimelineEntrySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    kind = serializers.ChoiceField(
        choices=[c for c in EntryKind.choices if c[0] != EntryKind.STATUS_CHANGE],
        required=False,
    )
    body = serializers.CharField(max_length=20000)

    class Meta:
        model = TimelineEntry
        fields = ("id", "kind", "body", "occurred_at", "author", "created_at")
        read_only_fields = ("id", "author", "created_at")
        extra_kwargs = {"occurred_at": {"required": False}}


@extend_schema_view(
    list=extend_schema(description="The incident's timeline, oldest first."),
    create=extend_schema(description="Add a note, action or decision to the timeline."),
    retrieve=extend_schema(description="One timeline entry."),
)
class IncidentTimelineViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TimelineEntrySerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.INCIDENTS_READ, Scope.INCIDENTS_WRITE)
    pagination_class = OldestFirst
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TimelineEntry.objects.none()
        return _incident(self).timeline.select_related("author")

    def perform_create(self, serializer):
        serializer.instance = services.timeline_entry_add(
            incident=_incident(self), actor=self.request.user, **serializer.validated_data
        )


class CrewMemberSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    added_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = CrewMember
        fields = ("id", "user", "role", "added_at", "added_by")
        read_only_fields = ("id", "added_at", "added_by")


@extend_schema_view(
    list=extend_schema(description="The incident's crew."),
    create=extend_schema(description="Put someone on the crew (leads, the commander)."),
    retrieve=extend_schema(description="One crew member."),
    destroy=extend_schema(description="Take someone off the crew (leads, the commander)."),
)
class IncidentCrewViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CrewMemberSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.INCIDENTS_READ, Scope.INCIDENTS_WRITE)
    pagination_class = OldestFirst
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CrewMember.objects.none()
        return _incident(self).crew.select_related("user", "added_by", "incident")

    def perform_create(self, serializer):
        serializer.instance = services.crew_add(
            incident=_incident(self), actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.crew_remove(member=instance, actor=self.request.user)
