"""Every table, imported in one place so Alembic and tests see the whole schema."""

from app.accounts.models import ApiToken, OidcIdentity, Role, TokenScope, User, UserSession
from app.announcements.models import Announcement
from app.audit.models import AuditEvent
from app.challenges.models import Challenge, DataFile, Phase
from app.events.models import Event, Registration
from app.jury.models import JudgeAssignment, Review
from app.leaderboard.models import LeaderboardEntry
from app.mail.models import OutboxMail
from app.notifications.models import NoticeSent, NotificationChoice
from app.projects.models import Project, ProjectGallery, ProjectVersion
from app.projects.review_models import ConflictDeclaration, JudgeProfile, ReviewAssignment
from app.projects.vote_models import Vote, VoteReveal
from app.questions.models import Question
from app.rescoring.models import RescoreItem, RescoreSet
from app.roles.models import RoleGrant
from app.submissions.models import (
    FINAL_STATUSES,
    LogExcerpt,
    Score,
    Status,
    Submission,
    SubmissionEvent,
)
from app.teams.models import Membership, Team

__all__ = [
    "FINAL_STATUSES",
    "Announcement",
    "ApiToken",
    "AuditEvent",
    "Challenge",
    "ConflictDeclaration",
    "DataFile",
    "Event",
    "JudgeAssignment",
    "JudgeProfile",
    "LeaderboardEntry",
    "LogExcerpt",
    "Membership",
    "NoticeSent",
    "NotificationChoice",
    "OidcIdentity",
    "OutboxMail",
    "Phase",
    "Project",
    "ProjectGallery",
    "ProjectVersion",
    "Question",
    "Registration",
    "RescoreItem",
    "RescoreSet",
    "Review",
    "ReviewAssignment",
    "Role",
    "RoleGrant",
    "Score",
    "Status",
    "Submission",
    "SubmissionEvent",
    "Team",
    "TokenScope",
    "User",
    "UserSession",
    "Vote",
    "VoteReveal",
]
