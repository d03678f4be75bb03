#!/usr/bin/env bash
# modules.check_catches_upward_include: scripts/check_modules.sh passes a copy of the tree
# as it is, and fails, naming file:line, once an include against the order is planted in
# it: upward, upward through a relative path, from a nested module into a higher module
# whose folder holds it (when the table has one), and beside (with two levels of the
# checker's table put on one line). A downward include stays allowed.
#
#   tests/unit/check_modules_test.sh <source_dir> [checker]
#
# The checker defaults to <source_dir>/scripts/check_modules.sh; pass a changed copy to
# see this test fail when the checker stops checking.
set -euo pipefail

src=$(cd "$1" && pwd)
checker=${2:-$src/scripts/check_modules.sh}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/relay-modules.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The order from the checker's own table, one level per line, lowest first.
mapfile -t levels < <("$checker" --list)
[ "${#levels[@]}" -ge 2 ] || fail "the checker lists fewer than two levels: ${levels[*]:-none}"
lowest=${levels[0]%% *}
second=${levels[1]%% *}
highest=${levels[-1]%% *}

# A copy of every module folder: the checker reads nothing else.
tree=$tmp/tree
mkdir -p "$tree"
for level in "${levels[@]}"; do
  for module in $level; do
    mkdir -p "$tree/$module"
    cp -R "$src/$module/." "$tree/$module/"
  done
done

# A source file and a header of a module, directly in its folder (so not one of a nested
# module). Plants name real headers: a relative include counts only if its file exists.
source_of() { (cd "$tree" && find "$1" -maxdepth 1 -type f -name '*.cpp' | sort | head -n 1); }
header_of() { (cd "$tree" && find "$1" -maxdepth 1 -type f -name '*.hpp' | sort | head -n 1); }

# run <checker> : runs it on the copy; sets out and rc.
run() {
  set +e
  out=$("$1" "$tree" 2>&1)
  rc=$?
  set -e
}

expect_pass() {  # <checker> <why>
  run "$1"
  [ "$rc" -eq 0 ] || fail "$2: the checker failed (rc $rc):"$'\n'"$out"
}

# plant <file> <include line>: appends it; sets line to its line number.
plant() {
  cp "$tree/$1" "$tmp/saved"
  printf '%s\n' "$2" >>"$tree/$1"
  line=$(wc -l <"$tree/$1")
}
unplant() { cp "$tmp/saved" "$tree/$1"; }

expect_caught() {  # <checker> <file> <from> <to> <where> <why>
  run "$1"
  [ "$rc" -ne 0 ] || fail "$6: the checker passed:"$'\n'"$out"
  printf '%s\n' "$out" | grep -qF "$2:$line: $3 includes $4 ($5 it)" ||
    fail "$6: the checker failed but did not name \"$2:$line: $3 includes $4 ($5 it)\":"$'\n'"$out"
  echo "ok: $6 -> $(printf '%s\n' "$out" | grep -F "$2:$line:")"
}

# 1. The tree as it is follows the order, and the copy is the whole of what it checks.
set +e
original=$("$checker" "$src" 2>&1)
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "the source tree: the checker failed (rc $rc):"$'\n'"$original"
expect_pass "$checker" "the unmodified copy"
[ "$out" = "$original" ] || fail "the copy is not what the checker sees in $src:"$'\n'"$original"$'\n'"$out"
echo "ok: $out"

# 2. A header of the lowest module includes the highest (as the codec header once
#    included an actor header).
f=$(header_of "$lowest")
h=$(header_of "$highest")
if [ -z "$f" ] || [ -z "$h" ]; then fail "no header in $lowest/ or in $highest/"; fi
plant "$f" "#include \"$h\""
expect_caught "$checker" "$f" "$lowest" "$highest" above "an upward include"
unplant "$f"

# 3. A source file, through a path relative to it.
f=$(source_of "$lowest")
[ -n "$f" ] || fail "no source file in $lowest/"
up=$(dirname "$f" | sed -e 's|[^/][^/]*|..|g')
plant "$f" "#  include \"$up/$h\""
expect_caught "$checker" "$f" "$lowest" "$highest" above "an upward include by a relative path"
unplant "$f"

# 4. A nested module and the module whose folder holds it are two modules: the folder
#    decides nothing, only the table does. For each such pair, a copy of the checker moves
#    the outer module to the top of the order; the inner one including it is then caught.
nested=0
for level in "${levels[@]}"; do
  for inner in $level; do
    for outer_level in "${levels[@]}"; do
      for outer in $outer_level; do
        case $inner in "$outer"/*) ;; *) continue ;; esac
        [ "$outer_level" = "$outer" ] || continue  # alone on its line: it can be moved
        f=$(source_of "$inner")
        h=$(header_of "$outer")
        if [ -z "$f" ] || [ -z "$h" ]; then continue; fi
        awk -v m="$outer" '
          $1 == m && $2 ~ /^#/ { moved = $0; next }
          /^EOF$/ && moved != "" { print moved; moved = "" }
          { print }' "$checker" >"$tmp/top.sh"
        chmod +x "$tmp/top.sh"
        [ "$("$tmp/top.sh" --list | tail -n 1)" = "$outer" ] ||
          fail "could not move $outer to the top in a copy of the checker"
        plant "$f" "#include \"$h\""
        expect_pass "$checker" "$inner including $outer, which is below it"
        expect_caught "$tmp/top.sh" "$f" "$inner" "$outer" above "$inner is a module of its own, not part of $outer"
        unplant "$f"
        nested=$((nested + 1))
      done
    done
  done
done
[ "$nested" -gt 0 ] || fail "no nested module in the table to try"
echo "ok: $nested nested module(s): the table, not the folder, decides"

# 5. A downward include is allowed; with the two lowest levels put beside each other in a
#    copy of the checker, it is caught.
f=$(source_of "$second")
h=$(header_of "$lowest")
if [ -z "$f" ] || [ -z "$h" ]; then fail "no source file in $second/ or no header in $lowest/"; fi
plant "$f" "#include <$h>"
expect_pass "$checker" "a downward include ($second includes $lowest)"
sed -e "s|^$second  *#|$lowest $second #|" -e "/^$lowest  *#/d" "$checker" >"$tmp/beside.sh"
chmod +x "$tmp/beside.sh"
[ "$("$tmp/beside.sh" --list | head -n 1)" = "$lowest $second" ] ||
  fail "could not put $lowest and $second on one level in a copy of the checker"
expect_caught "$tmp/beside.sh" "$f" "$second" "$lowest" beside "a module beside"
unplant "$f"

# 6. And the copy passes again once the plants are gone.
expect_pass "$checker" "the tree after the plants were removed"
echo "ok: the module check catches what it should and passes the tree"
