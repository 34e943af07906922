#!/usr/bin/env bash
# Run the suite against the newest release of every dependency, ignoring the lock.
#
#     bash scripts/check_latest.sh            # from the repository's root
#
# Informational only: .ci/run never calls it, so a release elsewhere cannot stop this
# project's work from landing. It prints each package whose newest release differs from
# the lock, and, if the suite fails, which of those packages the failures follow: each
# newer package is put back to its locked version in turn and the failing tests re-run.
# Exit status: 0 when the newest releases pass, 1 when something broke, 2 on set-up errors.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements/test.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv="$work/venv"

python3 -m venv "$venv" || exit 2
py="$venv/bin/python"
"$py" -m pip install -q --upgrade pip || exit 2
# --upgrade-strategy eager and no constraints: the newest release the ranges allow.
"$py" -m pip install -q --upgrade --upgrade-strategy eager -e '.[test]' || exit 2

locked_version() {  # the version the lock pins for package $1 (normalised name)
  grep -iE "^$1==" "$lock" | head -n1 | cut -d= -f3 | cut -d" " -f1
}

echo "== newest releases that differ from $lock"
newer=()
while IFS='==' read -r name _ version; do
  name=$(echo "$name" | tr '[:upper:]_.' '[:lower:]--')
  [ "$name" = "intercom-sfdc-auditor" ] && continue
  pinned=$(locked_version "$name")
  if [ -n "$pinned" ] && [ "$pinned" != "$version" ]; then
    echo "  $name: locked $pinned, newest $version"
    newer+=("$name")
  fi
done < <("$py" -m pip freeze --exclude-editable | grep '==')
[ ${#newer[@]} -eq 0 ] && echo "  (none)"

echo "== the suite on the newest releases"
log="$work/pytest.log"
if "$py" -m pytest -q -p no:cacheprovider -rfE "$@" | tee "$log"; then
  echo "== the newest releases pass: the lock may be regenerated (see README)"
  exit 0
fi

# The failing tests' node ids, from pytest's short summary ("FAILED id - reason").
mapfile -t failing < <(grep -E '^(FAILED|ERROR) ' "$log" | cut -d' ' -f2 | sort -u)
echo "== ${#failing[@]} failing; finding which newer package each follows"
for name in "${newer[@]}"; do
  pinned=$(locked_version "$name")
  "$py" -m pip install -q "$name==$pinned" >/dev/null 2>&1 || continue
  if "$py" -m pytest -q -p no:cacheprovider "${failing[@]}" >/dev/null 2>&1; then
    echo "  BROKE: $name (newest fails, $pinned passes) -> ${failing[*]}"
  fi
  "$py" -m pip install -q --upgrade "$name" >/dev/null 2>&1 || true
done
echo "== hold a package back with a line in requirements/holds.in, then regenerate the lock"
exit 1
