"""Tasks of an incident and their comments: list, add, read, change (facts, assignee,
status), delete with a reason; through the need-to-know gate (404 out of sight)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import PartialUpdateOnly, TokenHasScope, read_write_scopes
from accounts.api.serializers import StrictFieldsMixin
from accounts.models import User
from accounts.scopes import Scope
from incidents import services
from incidents.api.systems import OldestFirst
from incidents.models import Task, TaskComment, TaskStatus
from incidents.selectors import incident_get

MAX_TEXT = 5000


class PersonField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(**kwargs)


class TaskSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    assignee = PersonField(required=False, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)

    class Meta:
        model = Task
        fields: tuple[str, ...] = (
            "id",
            "title",
            "description",
            "assignee",
            "due_date",
            "due_at",
            "status",
            "skip_reason",
            "is_overdue",
            "phase",
            "playbook_key",
            "assignee_role",
            "created_at",
        )
        read_only_fields: tuple[str, ...] = (
            "id",
            "due_at",
            "status",
            "skip_reason",
            "phase",
            "playbook_key",
            "assignee_role",
            "created_at",
        )


class TaskUpdateSerializer(TaskSerializer):
    """PATCH body: the facts, `assignee`, and `status` (with `reason` to skip)."""

    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    class Meta(TaskSerializer.Meta):
        fields = (*TaskSerializer.Meta.fields, "reason")
        read_only_fields = tuple(n for n in TaskSerializer.Meta.read_only_fields if n != "status")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CommentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    author: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    body = serializers.CharField(max_length=MAX_TEXT)

    class Meta:
        model = TaskComment
        fields = ("id", "author", "body", "created_at")
        read_only_fields = ("id", "author", "created_at")


@extend_schema_view(
    list=extend_schema(description="The incident's tasks."),
    create=extend_schema(description="Add a task (crew: incidents.change_incident)."),
    retrieve=extend_schema(description="One task."),
    partial_update=extend_schema(
        description=(
            "Change a task's facts, its assignee (someone who sees the incident) or its "
            "`status` (`todo`, `in_progress`, `done`, `skipped` with a `reason`). The "
            "assignee may change the status."
        ),
        request=TaskUpdateSerializer,
        responses=TaskSerializer,
    ),
    destroy=extend_schema(
        description="Delete a task; `reason` (required, query or body) goes to the audit log.",
        parameters=[OpenApiParameter("reason", str, required=True)],
    ),
)
class IncidentTaskViewSet(
    PartialUpdateOnly,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Tasks of one incident; 404 when the incident is out of sight."""

    serializer_class = TaskSerializer
    permission_classes = [IsAuthenticated, TokenHasScope]
    required_scopes = read_write_scopes(Scope.INCIDENTS_READ, Scope.INCIDENTS_WRITE)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    pagination_class = OldestFirst

    def incident(self):
        return incident_get(user=self.request.user, pk=self.kwargs["incident_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return self.incident().tasks.select_related("assignee", "incident")

    def perform_create(self, serializer):
        serializer.instance = services.task_add(
            incident=self.incident(), actor=self.request.user, **serializer.validated_data
        )

    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        serializer = TaskUpdateSerializer(task, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        new_status = fields.pop("status", None)
        reason = fields.pop("reason", "")
        with transaction.atomic():
            if "assignee" in fields:
                task = services.task_reassign(
                    task=task, actor=request.user, assignee=fields.pop("assignee")
                )
            changed = {
                name: value for name, value in fields.items() if getattr(task, name) != value
            }
            if changed:
                task = services.task_update(task=task, actor=request.user, **changed)
            if new_status is not None:
                task = services.task_change_status(
                    task=task, actor=request.user, status=new_status, reason=reason
                )
        return Response(TaskSerializer(task).data)

    def destroy(self, request, *args, **kwargs):
        task = self.get_object()
        data = (
            request.data
            if isinstance(request.data, dict) and request.data
            else request.query_params
        )
        reason = ReasonSerializer(data={"reason": data.get("reason", "")})
        reason.is_valid(raise_exception=True)
        services.task_delete(task=task, actor=request.user, reason=reason.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        description="The task's comments, oldest first.",
        responses=CommentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        description="Comment on the task.",
        request=CommentSerializer,
        responses=CommentSerializer,
    )
    @action(detail=True, methods=["get", "post"], pagination_class=OldestFirst)
    def comments(self, request, *args, **kwargs):
        task = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(task.comments.select_related("author"))
            return self.get_paginated_response(CommentSerializer(page, many=True).data)
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.task_comment_add(
            task=task, actor=request.user, body=serializer.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
