// MappedFile and its SIGBUS handler (mapped_file.h).
#include "mapped_file.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>

namespace provbadge::worker {
namespace {

// One registered mapping. state: 0 free, 1 claimed (being set up or torn down: the handler
// ignores it), 2 live. begin/end are page-aligned; [begin, end) is what mmap mapped.
struct Slot {
  std::atomic<int> state{0};
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<bool> faulted{false};
};

Slot g_slots[MappedFile::kMaxMappings];
std::atomic<int> g_in_handler{0};  // handlers between their registry lookup and return
uintptr_t g_page = 4096;           // set before the handler is installed, read-only after
struct sigaction g_previous {};    // ditto

static_assert(std::atomic<uintptr_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the SIGBUS handler needs lock-free atomics");

// Hands a fault that is not ours to whoever handled SIGBUS before us.
void Chain(int sig, siginfo_t* info, void* ctx) {
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) g_previous.sa_sigaction(sig, info, ctx);
    return;
  }
  if (g_previous.sa_handler == SIG_IGN && info->si_code <= 0) return;  // a sent signal, ignored
  if (g_previous.sa_handler == SIG_DFL || g_previous.sa_handler == SIG_IGN) {
    // The default action: a fault re-executes its instruction and faults again; a sent signal
    // is raised again (blocked until this handler returns).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGBUS, &dfl, nullptr);
    if (info->si_code <= 0) raise(SIGBUS);
    return;
  }
  g_previous.sa_handler(sig);
}

// Async-signal-safe: atomics, mmap (a plain system call) and the chained handler only.
void OnSigbus(int sig, siginfo_t* info, void* ctx) {
  const int saved_errno = errno;
  g_in_handler.fetch_add(1);
  bool handled = false;
  if (info->si_code > 0) {  // raised by the kernel for an access, not sent
    const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (Slot& s : g_slots) {
      if (s.state.load() != 2) continue;
      const uintptr_t begin = s.begin.load(), end = s.end.load();
      if (addr < begin || addr >= end) continue;
      const uintptr_t page = addr & ~(g_page - 1);
      void* p = mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      s.faulted.store(true);
      handled = p != MAP_FAILED;
      break;
    }
  }
  g_in_handler.fetch_sub(1);
  errno = saved_errno;
  if (!handled) Chain(sig, info, ctx);
}

int Register(uintptr_t begin, uintptr_t end) {
  for (int i = 0; i < MappedFile::kMaxMappings; ++i) {
    int expected = 0;
    if (!g_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    g_slots[i].begin.store(begin);
    g_slots[i].end.store(end);
    g_slots[i].faulted.store(false);
    g_slots[i].state.store(2);
    return i;
  }
  return -1;
}

}  // namespace

bool InstallMappingFaultHandler() {
  static std::once_flag once;
  static bool installed = false;
  std::call_once(once, [] {
    const long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || (page & (page - 1)) != 0) return;
    g_page = static_cast<uintptr_t>(page);
    if (sigaction(SIGBUS, nullptr, &g_previous) != 0) return;
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    installed = sigaction(SIGBUS, &sa, nullptr) == 0;
  });
  return installed;
}

std::unique_ptr<MappedFile> MappedFile::Map(int fd, uint64_t size) {
  if (size == 0 || size > SIZE_MAX - g_page || !InstallMappingFaultHandler()) return nullptr;
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return nullptr;
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const int slot = Register(begin, begin + ((size + g_page - 1) & ~(g_page - 1)));
  if (slot < 0) {
    munmap(p, size);
    return nullptr;
  }
  return std::unique_ptr<MappedFile>(new MappedFile(static_cast<std::byte*>(p), size, slot));
}

MappedFile::~MappedFile() {
  g_slots[slot_].state.store(1);                   // no handler matches it from now on
  while (g_in_handler.load() != 0) sched_yield();  // one that matched before has returned
  munmap(data_, size_);
  g_slots[slot_].state.store(0);
}

bool MappedFile::faulted() const { return g_slots[slot_].faulted.load(); }

void MappedFile::Advise(uint64_t offset, uint64_t len, int advice) const {
  if (offset >= size_) return;
  len = std::min(len, size_ - offset);
  const uint64_t from = offset & ~(uint64_t{g_page} - 1);
  madvise(data_ + from, len + (offset - from), advice);
}

}  // namespace provbadge::worker
