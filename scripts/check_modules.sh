#!/usr/bin/env bash
# The module order (docs/architecture.md, "Modules"): a source file may include headers of
# its own module and of modules below it, never of a module above or beside it. CTest runs
# this as `modules.order`; tests/unit/check_modules_test.sh proves it catches a planted
# upward include.
#
#   scripts/check_modules.sh [source_dir]   check the tree (default: this script's repo)
#   scripts/check_modules.sh --list         print the order, lowest first
#
# Every `#include "..."` and `#include <...>` line of every C++ file under a module's folder
# is checked; a quoted include is resolved next to its file first, as the compiler does.
# Includes of anything that is not a module (CAF, Boost, the standard library) are ignored.
# tests/, benchmarks/ and examples/ are not modules: they may include anything.
set -euo pipefail

# -- the order: the one place it is declared ------------------------------------------
# Lowest first. One level per line; modules on the same line sit beside each other and
# may not include each other. A module is a folder; a file belongs to the longest module
# folder that holds it (actors/chat/room.cpp is actors/chat, not actors). When a folder
# moves, change it here.
MODULES=$(
  cat <<'EOF'
core             # ids, clock, text, errors, metrics, billing and rate rules
config           # the option table
storage redis    # the store interface, its rows, SQLite; the Redis client (beside: neither knows the other)
auth             # signing, JWT, OAuth, LiveKit tokens
protocol         # wire types and codecs: pure functions over bytes, no CAF, no sockets
actors           # what every actor shares: message vocabulary, sinks, store actors, sessions
actors/cluster   # cluster mode's bridge: room events and other channels between nodes over Redis pub/sub
actors/agents actors/halls  # the agent relay; video halls (beside: neither knows the other)
actors/chat      # rooms, channels, chat sockets; mentions handed to the agent relay
api              # the REST handlers
transport        # the Beast edge: listener, HTTP, WebSocket and SSE sessions
app              # main, operator commands
EOF
)

# One level per line, comments and extra blanks gone.
order=$(printf '%s\n' "$MODULES" | sed -e 's/#.*//' -e 's/[[:space:]]\{1,\}/ /g' \
  -e 's/^ //' -e 's/ $//' | grep -v '^$')

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "$order"
  exit 0
fi

root=${1:-"$(dirname "$0")/.."}
cd "$root"

# Every declared folder must exist: a module that moved without this table would
# otherwise go unchecked.
folders=()
for module in $order; do
  if [ ! -d "$module" ]; then
    echo "check_modules: module folder $module/ does not exist in $PWD (update the table in $0)" >&2
    exit 2
  fi
  folders+=("$module")
done

mapfile -d '' files < <(find "${folders[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' \
  -o -name '*.cc' -o -name '*.h' -o -name '*.ipp' -o -name '*.inl' \) -print0 | sort -zu)
if [ "${#files[@]}" -eq 0 ]; then
  echo "check_modules: no C++ files under ${folders[*]} in $PWD" >&2
  exit 2
fi

# Levels are separated by ';' for awk.
awk -v order="$(printf '%s\n' "$order" | paste -sd ';')" '
  BEGIN {
    n_levels = split(order, levels, ";")
    for (i = 1; i <= n_levels; i++) {
      n = split(levels[i], names, " ")
      for (j = 1; j <= n; j++) {
        if (names[j] in level) {
          printf "check_modules: %s is declared twice\n", names[j] > "/dev/stderr"
          bad = 2
          exit 2
        }
        level[names[j]] = i
        summary = summary (summary == "" ? "" : (j == 1 ? " < " : " | ")) names[j]
      }
    }
  }

  # The module whose folder holds path (the longest one), or "" for none.
  function module_of(path,    m, best) {
    best = ""
    for (m in level)
      if ((path == m || substr(path, 1, length(m) + 1) == m "/") && length(m) > length(best))
        best = m
    return best
  }

  # a/./b/../c -> a/c; a path that leaves the tree keeps its leading "..".
  function normalize(path,    parts, n, i, out, k, s) {
    n = split(path, parts, "/")
    k = 0
    for (i = 1; i <= n; i++) {
      if (parts[i] == "" || parts[i] == ".") continue
      if (parts[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
      out[++k] = parts[i]
    }
    s = ""
    for (i = 1; i <= k; i++) s = s (i > 1 ? "/" : "") out[i]
    return s
  }

  function exists(path,    line, r) {
    r = (getline line < path)
    if (r >= 0) close(path)
    return r >= 0
  }

  FNR == 1 { files++; from = module_of(FILENAME); dir = FILENAME; sub(/\/[^\/]*$/, "", dir) }

  /^[ \t]*#[ \t]*include[ \t]*["<]/ {
    s = $0
    sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
    quoted = substr(s, 1, 1) == "\""
    s = substr(s, 2)
    if (!match(s, quoted ? "\"" : ">")) next
    header = substr(s, 1, RSTART - 1)
    target = normalize(header)
    if (quoted && exists(dir "/" header)) target = normalize(dir "/" header)
    to = module_of(target)
    if (to == "" || to == from || level[to] < level[from]) next
    printf "%s:%d: %s includes %s (%s it): %s\n", FILENAME, FNR, from, to,
           (level[to] > level[from] ? "above" : "beside"), header
    violations++
  }

  END {
    if (bad) exit bad
    if (violations) {
      printf "check_modules: %d include(s) against the module order %s (scripts/check_modules.sh)\n",
             violations, summary > "/dev/stderr"
      exit 1
    }
    printf "check_modules: %d files follow the module order %s\n", files, summary
  }
' "${files[@]}"
