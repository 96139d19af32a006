"""Naming a session's browser on the account page, from the User-Agent it logged in with.

Parsed with ua-parser (Browserscope's maintained rules) when the page is shown, not
when the session starts: the raw header is kept, so a better parser later names old
sessions better too. A name is a hint for the person ("is that my phone?"), never a
security decision: the header is whatever the client chose to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse


@dataclass(frozen=True)
class DeviceLabel:
    browser: str | None  # "Firefox 121"
    os: str | None  # "Linux"


@lru_cache(maxsize=512)
def device_label(user_agent: str) -> DeviceLabel:
    if not user_agent:
        return DeviceLabel(None, None)
    parsed = parse(user_agent)
    browser = None
    if parsed.user_agent is not None and parsed.user_agent.family != "Other":
        agent = parsed.user_agent
        browser = f"{agent.family} {agent.major}" if agent.major else agent.family
    os = None
    if parsed.os is not None and parsed.os.family != "Other":
        os = parsed.os.family
    return DeviceLabel(browser, os)
