/* The three glibc interfaces that Debian's libstdc++_pic.a and libgcc_eh.a (GCC 12, configured for glibc) use and
 * musl lacks, written on musl's own calls. Linked into the libstdc++.so.6 that scripts/musl-rootfs.sh builds, so
 * GCC's libstdc++ and unwinder run on musl as they do in Alpine (where GCC is configured for musl and needs none
 * of these). Each follows glibc's documented contract; none of them is a stub.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

/* glibc 2.32: nonzero only while the process is known to have a single thread. libstdc++ then skips atomic
 * reference counts. 0 ("maybe several threads") keeps them always atomic: what libstdc++ built for musl does. */
char __libc_single_threaded = 0;

/* glibc 2.36, BSD: random 32 bits from the kernel's CSPRNG (std::random_device's "arc4random" token). */
uint32_t arc4random(void) {
  uint32_t value;
  unsigned char *p = (unsigned char *)&value;
  size_t got = 0;
  while (got < sizeof value) {
    ssize_t n = getrandom(p + got, sizeof value - got, 0);
    if (n < 0) abort(); /* glibc aborts too when the kernel cannot give randomness */
    got += (size_t)n;
  }
  return value;
}

/* glibc 2.35 (<dlfcn.h>, x86_64 layout: no dlfo_eh_dbase). GCC 12's unwinder (_Unwind_Find_FDE) asks it for the
 * loaded object that holds a code address and that object's PT_GNU_EH_FRAME, to find the frame's unwind info when
 * an exception is thrown. Found here with dl_iterate_phdr, as GCC does where _dl_find_object does not exist. */
struct dl_find_object {
  unsigned long long int dlfo_flags;
  void *dlfo_map_start;
  void *dlfo_map_end;
  struct link_map *dlfo_link_map;
  void *dlfo_eh_frame;
  unsigned long long int __dflo_reserved[7];
};

struct find_state {
  uintptr_t pc;
  struct dl_find_object *out;
};

static int find_in_object(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct find_state *st = arg;
  uintptr_t lo = UINTPTR_MAX, hi = 0, eh = 0;
  int holds = 0;
  for (size_t i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD) {
      if (start < lo) lo = start;
      if (start + ph->p_memsz > hi) hi = start + ph->p_memsz;
      if (st->pc >= start && st->pc < start + ph->p_memsz) holds = 1;
    } else if (ph->p_type == PT_GNU_EH_FRAME) {
      eh = start;
    }
  }
  if (!holds) return 0;
  st->out->dlfo_flags = 0;
  st->out->dlfo_map_start = (void *)lo;
  st->out->dlfo_map_end = (void *)hi;
  st->out->dlfo_link_map = NULL; /* not used by the unwinder; musl has no struct link_map per object here */
  st->out->dlfo_eh_frame = (void *)eh;
  return 1;
}

int _dl_find_object(void *address, struct dl_find_object *result) {
  struct find_state st = {(uintptr_t)address, result};
  return dl_iterate_phdr(find_in_object, &st) ? 0 : -1;
}
