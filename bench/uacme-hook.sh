#!/bin/sh
# uacme challenge hook used by bench/compare.sh: answers http-01 by writing the
# key authorization into $BENCH_WEBROOT/.well-known/acme-challenge/TOKEN and
# removes it afterwards. Other challenge types are declined (exit 1), so uacme
# moves on to http-01. uacme calls it as: HOOK METHOD TYPE IDENT TOKEN AUTH.
method=$1 type=$2 token=$4 auth=$5
dir=${BENCH_WEBROOT:?BENCH_WEBROOT is not set}/.well-known/acme-challenge
[ "$type" = http-01 ] || exit 1
case $method in
  begin) mkdir -p "$dir" && printf '%s' "$auth" >"$dir/$token" ;;
  done | failed) rm -f "$dir/$token" ;;
  *) exit 1 ;;
esac
