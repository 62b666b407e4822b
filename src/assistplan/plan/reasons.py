"""Why a change is planned: a typed reason, and the one table of words both renderers use.

The planner sets a `Reason` (plus structured details on the change: the replaced addresses
a consumer repoints from, the snapshots that keep an object); apply never branches on the
words, and the terminal and the PR comment differ only in markup (`code` below).
`plan --json` shows the reason as the `action_reason` string (`ResourceChange.action_reason`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum


class Reason(StrEnum):
    # drift (changes seen since the last apply)
    DRIFT_DELETED = "deleted_outside_assistplan"
    DRIFT_CHANGED = "changed_outside_assistplan"
    # creates and adoptions
    TRACK_EXISTING_FILE = "track_existing_file"
    ADOPT_INTERRUPTED = "adopt_created_by_interrupted_apply"
    RECREATE_DELETED = "recreate_because_deleted_outside_assistplan"
    # replaces and updates
    REPLACE_BY_REQUEST = "replace_by_request"
    REPLACE_CONTENT_CHANGED = "replace_because_content_changed"
    REPLACE_CANNOT_UPDATE = "replace_because_cannot_update"
    REPLACE_RENAMED = "replace_because_name_changed"  # a name the config gives (Foundry's agent_prefix)
    REPOINT_REPLACED = "repoint_because_replaced"  # details: ResourceChange.replaced
    TARGET_CHANGED = "target_changed"  # details: ResourceChange.old_target, target, depose/forget_old
    REVERT_DRIFT = "revert_change_made_outside_assistplan"
    # a release snapshot gets back a file deleted outside assistplan (details: ResourceChange.replaced)
    RESTORE_RELEASED_FILE = "restore_released_file_deleted_outside_assistplan"
    CONFIGURATION_CHANGED = "configuration_changed"
    NEW_VERSION = "new_agent_version"  # a versioned target (foundry): the change is a new version
    # destroys, and what is kept instead
    DELETE_NOT_IN_CONFIG = "delete_because_no_resource_config"
    DELETE_BY_DESTROY = "delete_because_destroy"  # `destroy`: everything managed goes
    # its create was cut short: the entry is an intent only (what it made: DELETE_LEFTOVER)
    DELETE_INTERRUPTED_CREATE = "delete_create_interrupted"
    FORGET_NOT_MANAGED = "forget_because_not_managed"  # apply forgets it, never deletes it
    FORGET_RETIRED = "forget_because_endpoint_retired"  # apply forgets it: nothing left to delete
    DELETE_VERSION_ARCHIVED = "delete_because_version_archived"
    RETAINED_IN_USE = "retained_because_in_use"  # details: ResourceChange.kept_for
    DEPOSED_NAMED_BY_DEFINITION = "deposed_because_named_by_definition"  # details: ResourceChange.named_by
    DELETE_REPLACED_UNUSED = "delete_replaced_object_no_longer_used"
    DELETE_LEFTOVER = "delete_left_by_interrupted_apply"  # made by a create cut short, taken by nothing
    REFUSED_LIVE_CONSUMERS = "refused_because_live_consumers"  # the guard: listed, never carried out
    # experiment versions
    FORGET_ARCHIVED_VERSION = "forget_archived_version"
    ARCHIVE_EXPERIMENT_REMOVED = "archive_because_experiment_removed"
    ARCHIVE_ASSISTANT_REMOVED = "archive_because_assistant_removed"
    ARCHIVE_RELEASE_REMOVED = "archive_because_release_removed"
    ARCHIVE_BY_DESTROY = "archive_because_destroy"


# Placeholders are filled with `code(...)`: {addresses} the change's details, {paths} its
# changed paths, {object} the replaced object's id, {flag} the CLI flag; {uses} agrees with {addresses}.
TEXT: dict[Reason, str] = {
    Reason.DRIFT_DELETED: "deleted outside assistplan",
    Reason.DRIFT_CHANGED: "changed outside assistplan",
    Reason.TRACK_EXISTING_FILE: "an existing remote file, referenced by id: recorded, never uploaded",
    Reason.ADOPT_INTERRUPTED: "adopts the object an interrupted apply created",
    Reason.RECREATE_DELETED: "deleted outside assistplan",
    Reason.REPLACE_BY_REQUEST: "requested with {flag}",
    Reason.REPLACE_CONTENT_CHANGED: "the local file's content changed",
    Reason.REPLACE_CANNOT_UPDATE: "a changed attribute cannot be updated in place",
    Reason.REPLACE_RENAMED: "its name changes (provider.agent_prefix): a new agent replaces {object}",
    Reason.REPOINT_REPLACED: "points at the replacement of {addresses}",
    Reason.TARGET_CHANGED: "the target changed from {old_target} to {target}: realised anew",
    Reason.REVERT_DRIFT: "to undo a change made outside assistplan",
    Reason.RESTORE_RELEASED_FILE: (
        "a file it was released with was deleted outside assistplan: the same content comes back "
        "from {addresses}"
    ),
    Reason.CONFIGURATION_CHANGED: "changed: {paths}",
    Reason.NEW_VERSION: "a new agent version: {paths} changed; the earlier versions stay",
    Reason.DELETE_NOT_IN_CONFIG: "no longer in the configuration",
    Reason.DELETE_BY_DESTROY: "destroy deletes every object this state manages",
    Reason.DELETE_INTERRUPTED_CREATE: (
        "an interrupted apply began creating it and recorded no object: its record goes (what that "
        "apply made, if the API shows it, is destroyed beside it)"
    ),
    Reason.FORGET_NOT_MANAGED: "forgotten from state only (referenced by id: the remote file stays)",
    Reason.FORGET_RETIRED: (
        "forgotten from state only: the endpoint no longer serves the Assistants API (nothing to delete)"
    ),
    Reason.DELETE_VERSION_ARCHIVED: "its experiment version is archived",
    Reason.RETAINED_IN_USE: (
        "it left the config, but {addresses} still {uses} it (it goes when its last user is archived)"
    ),
    Reason.DEPOSED_NAMED_BY_DEFINITION: (
        "it left the config, but the applied definition of {addresses} named it: applications may "
        "still call with that copy, so the next apply deletes it"
    ),
    Reason.DELETE_REPLACED_UNUSED: "the replaced object {object}: nothing uses it any more",
    Reason.DELETE_LEFTOVER: (
        "{object} was made by an interrupted apply, and nothing takes it (no longer in the configuration, "
        "or a second copy of the object adopted)"
    ),
    Reason.REFUSED_LIVE_CONSUMERS: "refused: live consumers still use it",
    Reason.FORGET_ARCHIVED_VERSION: "an archived version of a removed experiment: forgotten from state",
    Reason.ARCHIVE_EXPERIMENT_REMOVED: "its experiment left the config: its snapshot objects are deleted",
    Reason.ARCHIVE_ASSISTANT_REMOVED: "an assistant it uses is archived: its snapshot objects are deleted",
    Reason.ARCHIVE_RELEASE_REMOVED: "release removed: its snapshot objects are deleted",
    Reason.ARCHIVE_BY_DESTROY: "destroy archives every experiment version: its snapshot objects are deleted",
}
NEW = "new in the configuration"  # a create with no other reason
KEPT_OLD = "the old one is kept while {addresses} {uses} it"  # a replace whose old object stays
# A replace whose old object an applied definition named: it stays one more apply.
DEPOSED_OLD = (
    "the old one stays (deposed) until the next apply: the applied definition of {addresses} names it"
)
# What a target change says beside its reason.
REREALISED = "re-realised from the release's frozen attributes"
OLD_DEPOSED = "the old object {object} stays (deposed) until the next apply, so applications can switch"
# A replace of an agent (Foundry) whose name stays: the new version lives under that name.
OLD_VERSION_DELETED = "the agent stays: a new version replaces version {object}, which is deleted"
OLD_RETIRED = "the old object {object} is forgotten: the endpoint no longer serves the Assistants API"
NO_API_CALL = "no API call"  # a change to a realisation that is no remote object (shown beside it)
REMOVED_BY = "removed in this environment by {places}"  # the overlay's `null`s behind a change
NEW_VERSION_VERB = "will get a new version"  # an update on a versioned target (Foundry's agents)


def words(
    reason: Reason | None,
    *,
    code: Callable[[str], str] = str,
    addresses: Iterable[str] = (),
    paths: Iterable[str] = (),
    object_id: str | None = None,
    kept_for: Iterable[str] = (),
    targets: tuple[str, str | None] | None = None,
    removed_by: Iterable[str] = (),
) -> str:
    """The reason in words; `code` marks up names (addresses, paths, ids, flags)."""

    def names(items: Iterable[str]) -> str:
        return ", ".join(code(i) for i in items)

    named = list(addresses)
    text = (
        TEXT[reason].format(
            addresses=names(named),
            uses="uses" if len(named) == 1 else "use",
            paths=names(paths),
            object=code(object_id or ""),
            flag=code("--replace"),
            old_target=code(targets[0]) if targets else "",
            target=code(targets[1] or "") if targets else "",
        )
        if reason is not None
        else ""
    )
    kept = list(kept_for)
    if kept and reason is not Reason.RETAINED_IN_USE:
        text = "; ".join(x for x in (text, kept_old(kept, code)) if x)
    if removed_by:
        text = "; ".join(x for x in (text, removed(removed_by, code)) if x)
    return text


def removed(places: Iterable[str], code: Callable[[str], str] = str) -> str:
    """Which overlay lines (`FILE:LINE (path: null)`) removed what the change removes."""
    return REMOVED_BY.format(places=", ".join(code(p) for p in places))


def kept_old(kept_for: list[str], code: Callable[[str], str] = str) -> str:
    """Why a replace keeps its old object."""
    names = ", ".join(code(i) for i in kept_for)
    return KEPT_OLD.format(addresses=names, uses="uses" if len(kept_for) == 1 else "use")


def deposed_old(named_by: list[str], code: Callable[[str], str] = str) -> str:
    """Why a replace keeps its old object for one more apply."""
    return DEPOSED_OLD.format(addresses=", ".join(code(i) for i in named_by))


def target_change_notes(
    address: str, old_id: str | None, old_object: str | None, code: Callable[[str], str] = str
) -> list[str]:
    """What a target change says beside its reason: a snapshot is re-realised from its frozen
    attributes; the old object is deposed until the next apply, or forgotten on a retired endpoint
    (`old_object` as ResourceChange has it)."""
    notes = [REREALISED] if "@" in address else []
    text = {"deposed": OLD_DEPOSED, "retired": OLD_RETIRED}.get(old_object or "")
    if text:
        notes.append(text.format(object=code(old_id or "")))
    return notes
