"""Realistic archives for demos and load tests: :func:`generate_archive`, :func:`generate_rooms`."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .fake_server import FakeMongooseIM

__all__ = ["generate_archive", "generate_rooms"]

_NAMES = (
    "alice bob carol dave eve frank grace heidi ivan judy mallory niaj olivia peggy rupert "
    "sybil trent victor walter zoe"
).split()
_DEVICES = ("phone", "laptop", "tablet", "web/tab 2")
_EXTERNAL = ("hatter@tea.party", "cheshire@cat.example", "queen@hearts.example")
_PHRASES = (
    "Hi!",
    "Are you there?",
    "On my way",
    "Running late, sorry",
    "See you at the tea party",
    "Did you read the report?",
    "Yes, looks good to me",
    "Can we move the meeting to 3 pm?",
    "Sure",
    "Thanks!",
    "Lunch?",
    "Café at noon ☕",
    "Ok 👍",
    "Which rabbit hole was it again?",
    "The build is green again",
    "I'll call you later",
    "Où es-tu ?",
    "Bis später",
    "<b>not markup</b> & friends",
    "",
)
_US = 1_000_000
_MAX_BURST = 6
_MIN_GAP_US = 2 * _US


def generate_archive(
    server: FakeMongooseIM,
    users: int = 20,
    messages: int = 100_000,
    seed: int = 0,
    domain: str = "wonderland.lit",
    *,
    end_us: int | None = None,
) -> list[str]:
    """Register ``users`` users of ``domain`` and archive ``messages`` messages between them.

    The archive looks like real chat: each user talks mostly with a few friends, in bursts
    of up to 6 messages within one second (so several share a reported timestamp) separated
    by at least 2 seconds, over about a month whose last message is 1 second before
    ``end_us`` (default: the server's clock). About 30% of the messages come from a full JID
    (``alice@wonderland.lit/phone``, some resources contain ``/`` or a space), 3% have no
    body, 2% an empty ``message_id``, some ids repeat, some bodies are empty or non-ASCII,
    a few are notes to self and 3% go to users of other servers (archived on one side only).
    Any 1.5-second window of any archive holds at most 6 messages, so it can be paged with
    any ``limit`` above 6. The same ``seed`` gives the same archive (for the same ``end_us``).

    Returns the users' bare JIDs. 100,000 messages take well under 2 seconds.
    """
    if users < 1:
        raise ValueError("users must be at least 1")
    rng = random.Random(seed)
    jids = [
        f"{_NAMES[i % len(_NAMES)]}{'' if i < len(_NAMES) else i // len(_NAMES)}@{domain}"
        for i in range(users)
    ]
    for jid in jids:
        server.add_user(jid)
    friends = [
        rng.sample([j for j in jids if j != jid], min(len(jids) - 1, 4)) or [jid] for jid in jids
    ]
    chattiness = [rng.uniform(0.2, 1.0) for _ in jids]
    bursts = max(1, messages * 2 // (_MAX_BURST + 1))
    mean_gap_us = max(_MIN_GAP_US, 30 * 86_400 * _US // bursts)
    plan: list[tuple[str, str, int, str | None, str]] = []
    t = 0
    last_id = ""
    while len(plan) < messages:
        t += _MIN_GAP_US + int(rng.expovariate(1.0) * (mean_gap_us - _MIN_GAP_US))
        a = rng.choices(range(len(jids)), weights=chattiness)[0]
        roll = rng.random()
        if roll < 0.03:
            b_jid = rng.choice(_EXTERNAL)
        elif roll < 0.035:
            b_jid = jids[a]
        else:
            b_jid = rng.choice(friends[a])
        pair = (jids[a], b_jid)
        at = t
        for _ in range(min(rng.randint(1, _MAX_BURST), messages - len(plan))):
            sender, recipient = pair if rng.random() < 0.55 else (pair[1], pair[0])
            if rng.random() < 0.3 and not sender.endswith(_EXTERNAL):
                sender = f"{sender}/{rng.choice(_DEVICES)}"
            roll = rng.random()
            body = None if roll < 0.03 else rng.choice(_PHRASES)
            if roll > 0.98:
                message_id = ""
            elif roll > 0.975 and last_id:
                message_id = last_id
            else:
                message_id = last_id = f"{rng.getrandbits(64):016x}"
            plan.append((sender, recipient, at, body, message_id))
            t = at
            at += rng.randint(1, 150_000)
    # Times were drawn from 0; shift them so that the newest message is at `end`.
    shift = (server.clock_us if end_us is None else end_us) - _US - t
    for sender, recipient, at, body, message_id in plan:
        server.add_message(sender, recipient, at_us=at + shift, body=body, message_id=message_id)
    return jids


def generate_rooms(
    server: FakeMongooseIM,
    members: list[str],
    rooms: int = 5,
    messages: int = 10_000,
    seed: int = 0,
    domain: str = "wonderland.lit",
    *,
    end_us: int | None = None,
) -> list[str]:
    """Create ``rooms`` MUC Light rooms of ``muclight.<domain>`` and archive ``messages``
    messages in them (spread unevenly), written by their members.

    Each room gets 2 to 6 of ``members`` (registered users' JIDs; the first is its owner).
    Messages come in bursts of up to 6, several of them within one microsecond (as when
    cluster nodes archive together), over about a week ending 1 second before ``end_us``
    (default: the server's clock). MAM must archive MUC Light rooms for them to be read
    (``archived_rooms="muc_light"``). The same ``seed`` gives the same rooms and archives.
    Returns the rooms' JIDs.
    """
    if not members:
        raise ValueError("rooms need members")
    rng = random.Random(seed)
    names = [
        f"{_ROOM_NAMES[i % len(_ROOM_NAMES)]}{i // len(_ROOM_NAMES) or ''}" for i in range(rooms)
    ]
    jids = [f"{name}@muclight.{domain}" for name in names]
    people: dict[str, list[str]] = {}
    for jid in jids:
        people[jid] = rng.sample(members, min(len(members), rng.randint(2, 6)))
        server.add_room(jid, members=people[jid], subject=f"About {jid.partition('@')[0]}")
    weights = [rng.uniform(0.2, 1.0) for _ in jids]
    plan: list[tuple[str, str, int, str]] = []
    t = 0
    while len(plan) < messages:
        t += _US + int(rng.expovariate(1.0) * 7 * 86_400 * _US * (_MAX_BURST + 1) / 2 / messages)
        room = rng.choices(jids, weights=weights)[0]
        for _ in range(min(rng.randint(1, _MAX_BURST), messages - len(plan))):
            t += rng.choice((0, 0, 1, rng.randint(1, 400_000)))
            plan.append((room, rng.choice(people[room]), t, rng.choice(_PHRASES)))
    shift = (server.clock_us if end_us is None else end_us) - _US - t
    for room, author, at, body in plan:
        server.add_room_message(room, author, at_us=at + shift, body=body)
    return jids


_ROOM_NAMES = ("tea-party", "croquet", "court", "garden", "rabbit-hole", "library", "kitchen")
