#!/bin/sh
# A stand-in scoring program: fixed scores where Marea asks for them.
printf '{"public": {"rmse": 0, "mae": 0}, "private": {"rmse": 0, "mae": 0}}' > "$MAREA_SCORES_FILE"
