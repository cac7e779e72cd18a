"""The audit log's transparency API (CONTRACT.md, "audit proofs"): the latest signed
checkpoint, inclusion and consistency proofs (scope audit:read, auditors and leads),
and the log's public key, for anyone.

In dashboard rather than audit because the token scopes and role checks are accounts'
and audit imports no domain app."""

from __future__ import annotations

import base64

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import TokenHasScope
from accounts.scopes import Scope
from audit import checkpoints, signing
from audit.proofs import ProofError, consistency_proof, inclusion_proof

READ_ONLY = {"GET": Scope.AUDIT_READ, "HEAD": Scope.AUDIT_READ, "OPTIONS": Scope.AUDIT_READ}


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class CanReadAuditLog(permissions.BasePermission):
    """Allows people whose role reads the audit log (auditors and leads)."""

    message = "The audit log is for auditors and leads."

    def has_permission(self, request, view):
        return request.user.has_perm("audit.view_auditevent")


class _AuditView(APIView):
    permission_classes = [IsAuthenticated, TokenHasScope, CanReadAuditLog]
    required_scopes = READ_ONLY


def key_payload() -> dict:
    key = signing.log_key()
    return {
        "origin": key.name,
        "key_id": key.key_id.hex(),
        "verifier_key": key.verifier_key,
        "public_key_pem": key.public_pem,
    }


CHECKPOINT = inline_serializer(
    "AuditCheckpoint",
    {
        "tree_size": serializers.IntegerField(),
        "root_hash": serializers.CharField(help_text="base64"),
        "note": serializers.CharField(help_text="C2SP tlog-checkpoint signed note"),
        "public_key": serializers.CharField(help_text="note verifier key"),
        "public_key_pem": serializers.CharField(),
        "origin": serializers.CharField(),
        "key_id": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
    },
)


class CheckpointView(_AuditView):
    @extend_schema(responses=CHECKPOINT, summary="The latest signed checkpoint")
    def get(self, request):
        checkpoint = checkpoints.latest() or checkpoints.publish(force=True)
        if checkpoint is None:
            return Response({"tree_size": 0, "root_hash": None, "note": None, **_keys()})
        return Response(
            {
                "tree_size": checkpoint.tree_size,
                "root_hash": b64(bytes(checkpoint.root_hash)),
                "note": checkpoint.note,
                "created_at": checkpoint.created_at,
                **_keys(),
            }
        )


def _keys() -> dict:
    payload = key_payload()
    return {"public_key": payload["verifier_key"], **payload}


class InclusionQuery(serializers.Serializer):
    event = serializers.IntegerField(min_value=1)
    tree_size = serializers.IntegerField(min_value=1)


class ConsistencyQuery(serializers.Serializer):
    first = serializers.IntegerField(min_value=1)
    second = serializers.IntegerField(min_value=1)


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class InclusionProofView(_AuditView):
    @extend_schema(
        parameters=[InclusionQuery],
        responses=inline_serializer(
            "AuditInclusionProof",
            {
                "event": serializers.IntegerField(),
                "leaf_index": serializers.IntegerField(),
                "tree_size": serializers.IntegerField(),
                "leaf_hash": serializers.CharField(help_text="base64"),
                "hashes": serializers.ListField(child=serializers.CharField()),
            },
        ),
        summary="An event's inclusion proof (RFC 9162 §2.1.3) at a tree size",
    )
    def get(self, request):
        params = _query(InclusionQuery, request)
        try:
            proof = inclusion_proof(event_id=params["event"], tree_size=params["tree_size"])
        except ProofError as error:
            raise ValidationError({error.field: [str(error)]}) from error
        return Response(
            {
                "event": proof.event_id,
                "leaf_index": proof.leaf_index,
                "tree_size": proof.tree_size,
                "leaf_hash": b64(proof.leaf_hash),
                "hashes": [b64(value) for value in proof.hashes],
            }
        )


class ConsistencyProofView(_AuditView):
    @extend_schema(
        parameters=[ConsistencyQuery],
        responses=inline_serializer(
            "AuditConsistencyProof",
            {
                "first": serializers.IntegerField(),
                "second": serializers.IntegerField(),
                "hashes": serializers.ListField(child=serializers.CharField()),
            },
        ),
        summary="A consistency proof (RFC 9162 §2.1.4) between two tree sizes",
    )
    def get(self, request):
        params = _query(ConsistencyQuery, request)
        try:
            hashes = consistency_proof(first=params["first"], second=params["second"])
        except ProofError as error:
            raise ValidationError({error.field: [str(error)]}) from error
        return Response(
            {
                "first": params["first"],
                "second": params["second"],
                "hashes": [b64(value) for value in hashes],
            }
        )


class PublicKeyView(APIView):
    """The log's origin and public key: anyone may check a checkpoint with it."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    # Outside the schema: every operation there is a bearer-token one, and this is not.
    @extend_schema(
        exclude=True,
        responses=inline_serializer(
            "AuditPublicKey",
            {
                "origin": serializers.CharField(),
                "key_id": serializers.CharField(),
                "verifier_key": serializers.CharField(),
                "public_key_pem": serializers.CharField(),
            },
        ),
        summary="The audit log's origin and Ed25519 public key",
    )
    def get(self, request):
        return Response(key_payload())
