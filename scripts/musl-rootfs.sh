#!/usr/bin/env bash
# An Alpine-like root file system, built from Debian's packages, to run keyplate's musl executable
# (exe/keyplate-linux-x64-musl) on a machine that reaches no Alpine mirror:
#   /lib/ld-musl-x86_64.so.1        musl's loader and C library (Debian's musl, the version it ships)
#   /lib/libc.musl-x86_64.so.1      a link to it, the name Alpine gives it and Bun's musl runtime asks for
#   /usr/lib/libstdc++.so.6         GCC's libstdc++ and unwinder, linked on musl with musl-gcc from Debian's
#                                   libstdc++-<N>-pic (the PIC objects Debian ships to build a libstdc++) and
#                                   libgcc_eh.a; the objects that define what the given executables import from
#                                   libstdc++ (their undefined symbols and copy relocations), plus
#                                   scripts/lib/musl-libstdcxx-glue.c: three glibc interfaces those GCC objects
#                                   call (configured for glibc) that musl lacks, written on musl's own calls
#   /bin/busybox and its applets    Debian's busybox-static (/bin/sh, wget, ps, …)
#   /etc/passwd, /etc/group, /tmp
# Alpine's libstdc++ is also GCC's libstdc++ on musl, built for musl; this is a faithful stand-in, not Alpine.
# Before it is used, a C++ program built against it throws an exception through GCC's unwinder and catches it.
#
#   bash scripts/musl-rootfs.sh EXE...         prints the root file system's directory on stdout
#   bash scripts/musl-rootfs.sh --install-only installs the Debian packages (musl, musl-tools, busybox-static,
#                                              libstdc++-<N>-pic for this gcc) and stops
# Built once per set of inputs (package versions, this script, the glue, the symbols asked for) under
# node_modules/.cache/keyplate-musl-rootfs/ and reused; safe to run concurrently (built aside, renamed in place).
set -euo pipefail
export LC_ALL=C # sort and comm agree on the order
self_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$self_dir")"
# shellcheck source=scripts/lib/apt-install.sh
source "$self_dir/lib/apt-install.sh"

fail() {
  echo "musl-rootfs: $*" >&2
  exit 1
}

apt_install musl-rootfs gcc command -v gcc
apt_install musl-rootfs g++ command -v g++ # the C++ smoke test below
gcc_major="$(gcc -dumpversion | cut -d. -f1)"
pic_package="libstdc++-$gcc_major-pic"
apt_install musl-rootfs musl-tools command -v musl-gcc
apt_install musl-rootfs busybox-static dpkg -s busybox-static
apt_install musl-rootfs "$pic_package" dpkg -s "$pic_package"
# busybox-static replaces Debian's dynamically linked busybox, if any; a dynamic one cannot run on musl.
file_is_static() { ! readelf -l "$1" 2>/dev/null | grep -q INTERP; }
file_is_static /bin/busybox || fail "/bin/busybox is dynamically linked; install busybox-static (apt-get install busybox-static)"
[ "${1:-}" = "--install-only" ] && exit 0
[ $# -gt 0 ] || fail "usage: musl-rootfs.sh EXE... (the executables whose libstdc++ imports it must satisfy), or --install-only"

gcc_lib="$(dirname "$(gcc -print-libgcc-file-name)")"
pic_archive="$gcc_lib/libstdc++_pic.a"
pic_map="$gcc_lib/libstdc++_pic.map"
eh_archive="$gcc_lib/libgcc_eh.a"
for f in "$pic_archive" "$pic_map" "$eh_archive"; do [ -f "$f" ] || fail "$f is missing (from $pic_package / gcc-$gcc_major)"; done
musl_libc="$(readlink -f /lib/ld-musl-x86_64.so.1)"
[ -f "$musl_libc" ] || fail "/lib/ld-musl-x86_64.so.1 is missing (Debian's musl package)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# What the executables need from libstdc++: every undefined dynamic symbol musl's libc does not define, and the
# symbols of their copy relocations (data such as type_info vtables, copied into the executable at load time).
# Left out: weak references that a C++ runtime does not define (zstd's trace hooks, transactional memory,
# libgcc_s's frame registration, glibc's __cxa_thread_atexit_impl); the executable runs without them on Alpine.
readelf --dyn-syms -W "$musl_libc" | awk '$7 != "UND" && $8 != "" { sub(/@.*/, "", $8); print $8 }' | sort -u >"$work/libc.txt"
for exe in "$@"; do
  [ -f "$exe" ] || fail "$exe: no such file"
  readelf -l "$exe" | grep -q 'ld-musl-x86_64.so.1' || fail "$exe is not linked against musl (no ld-musl-x86_64.so.1 interpreter)"
  readelf --dyn-syms -W "$exe" | awk '$7 == "UND" && $8 != "" && $5 != "WEAK" { sub(/@.*/, "", $8); print $8 }'
  readelf -r -W "$exe" | awk '$3 == "R_X86_64_COPY" { print $5 }'
done | sort -u | comm -23 - "$work/libc.txt" >"$work/wanted.txt"
# And what the unwinder smoke test below uses.
printf '%s\n' _ZTISt9exception __gxx_personality_v0 __cxa_begin_catch __cxa_end_catch _ZSt19__throw_logic_errorPKc \
  _ZNKSt11logic_error4whatEv >>"$work/wanted.txt"
sort -u -o "$work/wanted.txt" "$work/wanted.txt"

versions="$(dpkg-query -W -f '${Package}=${Version}\n' musl musl-dev busybox-static "$pic_package" "gcc-$gcc_major" | sort)"
key="$( (echo "$versions"; cat "${BASH_SOURCE[0]}" "$self_dir/lib/musl-libstdcxx-glue.c" "$work/wanted.txt") | sha256sum | cut -c1-16)"
cache="$root/node_modules/.cache/keyplate-musl-rootfs"
out="$cache/$key"
if [ -e "$out/.complete" ]; then
  echo "$out"
  exit 0
fi

echo "musl-rootfs: building $out (musl $(dpkg-query -W -f '${Version}' musl), GCC $gcc_major's libstdc++, $(wc -l <"$work/wanted.txt") symbols asked for)" >&2
# Built beside its final place, so that the last step is a rename that readers see whole or not at all.
mkdir -p "$cache"
rfs="$(mktemp -d "$cache/.building.XXXXXX")"
trap 'rm -rf "$work" "$rfs"' EXIT
chmod 755 "$rfs"
mkdir -p "$rfs/lib" "$rfs/usr/lib" "$rfs/bin" "$rfs/etc" "$rfs/tmp" "$rfs/usr/local/bin"
chmod 1777 "$rfs/tmp"
cp "$musl_libc" "$rfs/lib/ld-musl-x86_64.so.1"
ln -s ld-musl-x86_64.so.1 "$rfs/lib/libc.musl-x86_64.so.1"

# libstdc++.so.6: -u pulls in the archive members that define the wanted symbols (and what those need);
# --no-undefined proves nothing is left to resolve at run time but musl's libc; the version script is the one
# Debian ships with the archive (GLIBCXX_* versions, as Alpine's libstdc++ exports them). --eh-frame-hdr, which
# gcc's own specs pass and musl-gcc's do not: without PT_GNU_EH_FRAME the unwinder finds no frame of the library
# and every throw ends in std::terminate (the smoke test below caught that).
musl-gcc -O2 -fPIC -Wall -Werror -c -o "$work/glue.o" "$self_dir/lib/musl-libstdcxx-glue.c"
mapfile -t undefs < <(sed 's/^/-Wl,-u,/' "$work/wanted.txt")
musl-gcc -shared -Wl,--eh-frame-hdr -o "$rfs/usr/lib/libstdc++.so.6" -Wl,-soname,libstdc++.so.6 "$work/glue.o" "${undefs[@]}" \
  "$pic_archive" "$eh_archive" -Wl,--no-undefined -Wl,--version-script="$pic_map" -Wl,-Map="$work/link.map" ||
  fail "linking libstdc++.so.6 on musl failed (above)"
# Every wanted symbol must now be exported.
readelf --dyn-syms -W "$rfs/usr/lib/libstdc++.so.6" | awk '$7 != "UND" { sub(/@.*/, "", $8); print $8 }' | sort -u >"$work/exported.txt"
missing="$(comm -23 "$work/wanted.txt" "$work/exported.txt")"
[ -z "$missing" ] || fail "libstdc++.so.6 does not export: $missing"

# The unwinder and the C++ runtime, exercised: a throw from libstdc++ caught by the program, run by musl's loader.
cat >"$work/smoke.cc" <<'EOF'
// Declared here, not included: Debian's C++ headers are configured for glibc. The ABI is the same.
namespace std {
class exception {
 public:
  virtual ~exception() noexcept;
  virtual const char* what() const noexcept;
};
[[noreturn]] void __throw_logic_error(const char*);
}  // namespace std
extern "C" int printf(const char*, ...);
int main() {
  try {
    std::__throw_logic_error("thrown by libstdc++");
  } catch (const std::exception& e) {
    printf("caught: %s\n", e.what());
    return 0;
  }
  return 1;
}
EOF
g++ -O1 -fPIC -nostdinc++ -c -o "$work/smoke.o" "$work/smoke.cc"
# The program's own _Unwind_Resume comes from libgcc_eh.a (its symbols are hidden, so libstdc++.so.6 cannot export
# them as Alpine's libgcc_s.so.1 does), and with it the glue's _dl_find_object.
musl-gcc -Wl,--eh-frame-hdr -o "$work/smoke" "$work/smoke.o" "$work/glue.o" "$rfs/usr/lib/libstdc++.so.6"
smoke="$("$rfs/lib/ld-musl-x86_64.so.1" --library-path "$rfs/usr/lib" "$work/smoke" 2>&1)" ||
  fail "the C++ exception smoke test failed: $smoke"
[ "$smoke" = "caught: thrown by libstdc++" ] || fail "the C++ exception smoke test printed: $smoke"

cp /bin/busybox "$rfs/bin/busybox"
for applet in $("$rfs/bin/busybox" --list); do [ -e "$rfs/bin/$applet" ] || ln -s busybox "$rfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$rfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rfs/etc/group"
# What went in, for whoever reads the tree later.
{
  echo "An Alpine-like root file system built by scripts/musl-rootfs.sh (not Alpine):"
  echo "$versions"
  echo "libstdc++.so.6: $(grep -cE '^/.*\.a\([^)]*\)$' "$work/link.map") objects of $(basename "$pic_archive") and $(basename "$eh_archive"), plus musl-libstdcxx-glue.c"
} >"$rfs/etc/keyplate-rootfs-release"

touch "$rfs/.complete"
# Another run may have finished the same tree meanwhile: keep whichever landed first.
mv -T "$rfs" "$out" 2>/dev/null || [ -e "$out/.complete" ] || fail "could not move the tree to $out"
# Trees for other inputs (an older executable or package), and builds a killed run left, once an hour old.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -mmin +60 -exec rm -rf {} + 2>/dev/null || true
echo "$out"
