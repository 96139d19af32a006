"""Challenge bundles: a folder (or zip of one) with challenge.yaml and the files it names.

The public surface: validate without side effects, load (validated model plus
file manifest) for the database loader, and the schema models themselves.
"""

from app.bundles.errors import BundleError, ErrorCategory
from app.bundles.files import BundleFile, FileRole
from app.bundles.limits import DEFAULT_LIMITS, BundleLimits
from app.bundles.schema import BUILTIN_METRICS, Challenge
from app.bundles.validate import (
    BundleInvalid,
    LoadedBundle,
    ValidationReport,
    bundle_files,
    load_bundle,
    validate_bundle,
)

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_LIMITS",
    "BundleError",
    "BundleFile",
    "BundleInvalid",
    "BundleLimits",
    "Challenge",
    "ErrorCategory",
    "FileRole",
    "LoadedBundle",
    "ValidationReport",
    "bundle_files",
    "load_bundle",
    "validate_bundle",
]
