"""What differs between the MongooseIM versions the fake server imitates.

Every version-specific rule of the REST handlers reads one field of :class:`Profile`, so a
new version is one more entry in :func:`profile_for`.

MongooseIM 6.6 and later removed the REST API; their admin API is GraphQL at
``/api/graphql`` (see ``docs/server-behaviour.md``, "Versions and APIs"), served by
:mod:`._graphql`. 6.0 to 6.5 speak both; 3.x speaks REST only.
"""

from __future__ import annotations

import attrs

__all__ = ["SUPPORTED_VERSIONS", "Profile", "profile_for"]


@attrs.frozen
class Profile:
    """The behaviour of one server version.

    - ``json_errors``: error bodies are JSON strings without a Content-Type (6.x); otherwise
      plain text (3.x-5.x).
    - ``capped``: ``limit`` is silently capped at ``max_result_limit`` (6.x).
    - ``hard_limit``: a ``limit`` above it is answered with 500 (3.x: 500); also the cap.
    - ``strict_unconfigured_auth``: without configured credentials, a request that carries
      Basic credentials is rejected with 401 (6.x); 3.x accepts anything then.
    - ``zero_before_is_now``: a missing or zero ``before`` means now plus 10^6 seconds (3.x);
      6.x has no bound without ``before`` and reads ``before=0`` as the epoch.
    - ``status_500``: the error texts that this version answers with 500 instead of 400.
    - ``domain_error_as_codes``: ``GET /users/{unknown domain}`` answers 200 with the
      character codes of "Domain does not exist" (6.5); 3.x answers ``[]``.
    - ``rest`` / ``graphql``: which API the version serves (REST under ``/api``, GraphQL at
      ``/api/graphql``); a version without REST answers its routes with an empty 404.
    - ``paged_list_users``: GraphQL ``listUsers`` also takes ``limit`` and ``index`` (6.6).
    - ``rest_rooms``: REST serves the room send routes (``/muc-lights``, ``/mucs``) as 6.x
      does; the 3.7 profile leaves them out (3.x's room commands differ).
    - ``muc_light_list_rooms``: GraphQL ``muc_light.listRooms`` (MongooseIM 6.8 and later).
    - ``deps_not_loaded_before_6_3``: GraphQL ``deps_not_loaded`` in the 6.0-6.2 form ("Some
      of required modules or services are not loaded", both lists); 6.3 and later say "Some
      of the required modules are not loaded" and carry only the non-empty list. The
      versions imitated here are all 6.3 or later.
    """

    version: str
    json_errors: bool
    capped: bool
    hard_limit: int | None
    strict_unconfigured_auth: bool
    zero_before_is_now: bool
    status_500: frozenset[str]
    domain_error_as_codes: bool
    rest: bool = True
    graphql: bool = False
    paged_list_users: bool = False
    rest_rooms: bool = False
    muc_light_list_rooms: bool = False
    deps_not_loaded_before_6_3: bool = False


_PROFILES = {
    "6.6": Profile(
        version="6.6",
        json_errors=True,
        capped=True,
        hard_limit=None,
        strict_unconfigured_auth=True,
        zero_before_is_now=False,
        status_500=frozenset(),
        domain_error_as_codes=True,
        rest=False,
        graphql=True,
        paged_list_users=True,
    ),
    "6.5": Profile(
        version="6.5",
        json_errors=True,
        capped=True,
        hard_limit=None,
        strict_unconfigured_auth=True,
        zero_before_is_now=False,
        status_500=frozenset(),
        domain_error_as_codes=True,
        graphql=True,
        rest_rooms=True,
    ),
    "3.7": Profile(
        version="3.7",
        json_errors=False,
        capped=False,
        hard_limit=500,
        strict_unconfigured_auth=False,
        zero_before_is_now=True,
        status_500=frozenset({"Invalid owner JID", "Invalid interlocutor JID"}),
        domain_error_as_codes=False,
    ),
}
# 6.8 is 6.6 plus MUC Light's listRooms.
_PROFILES["6.8"] = attrs.evolve(_PROFILES["6.6"], version="6.8", muc_light_list_rooms=True)

SUPPORTED_VERSIONS = tuple(
    sorted(_PROFILES, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
)


def profile_for(version: str) -> Profile:
    """The :class:`Profile` of ``version`` ("6.8", "6.6", "6.5" or "3.7"); ``ValueError``
    otherwise."""
    profile = _PROFILES.get(version)
    if profile is None:
        raise ValueError(
            f"unsupported MongooseIM version {version!r}; use one of {SUPPORTED_VERSIONS}"
        )
    return profile
