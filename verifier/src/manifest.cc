// The digest engine: per-revision digest memo, hub-known digests, parallel streaming hashing.
#include "provbadge/verifier/manifest.h"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>

#include "provbadge/verifier/digest_cache.h"

namespace provbadge::verifier {
namespace {

// What a DigestCache entry describes, e.g. "sha256" or "blake2b:0:8".
std::string CacheWhat(const DigestKey& key) {
  std::string what(HashAlgorithmName(key.algorithm));
  if (!key.whole) what += ":" + std::to_string(key.start) + ":" + std::to_string(key.end);
  return what;
}

}  // namespace

std::string_view RehashModeName(RehashMode mode) {
  switch (mode) {
    case RehashMode::kNever:
      return "never";
    case RehashMode::kSmall:
      return "small";
    case RehashMode::kAlways:
      return "always";
  }
  return "small";
}

bool ParseRehashMode(std::string_view name, RehashMode* mode) {
  for (RehashMode m : {RehashMode::kNever, RehashMode::kSmall, RehashMode::kAlways}) {
    if (name == RehashModeName(m)) {
      *mode = m;
      return true;
    }
  }
  return false;
}

Manifest::Manifest(RevisionSource& source, ManifestOptions options)
    : source_(source), options_(options) {
  if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
  options_.buffer_bytes = std::clamp<size_t>(options_.buffer_bytes, 4096, 64u << 20);
}

Status Manifest::EnsureListed() {
  std::lock_guard lock(list_mu_);
  if (files_) return Status::Ok();
  Result<std::vector<FileInfo>> listed = source_.ListFiles();
  if (!listed.ok()) return listed.error();
  files_ = std::move(*listed);
  for (size_t i = 0; i < files_->size(); ++i) index_.emplace((*files_)[i].path, i);
  return Status::Ok();
}

Result<std::vector<FileInfo>> Manifest::Files() {
  if (Status s = EnsureListed(); !s.ok()) return s.error();
  std::lock_guard lock(list_mu_);
  return *files_;
}

std::optional<FileInfo> Manifest::Find(std::string_view path) {
  if (!EnsureListed().ok()) return std::nullopt;
  std::lock_guard lock(list_mu_);
  auto it = index_.find(path);
  if (it == index_.end()) return std::nullopt;
  return (*files_)[it->second];
}

Result<std::string> Manifest::Sha256(std::string_view path) {
  return Digest(DigestKey::Whole(std::string(path)));
}

std::optional<std::string> Manifest::TakeKnown(const DigestKey& key, const FileInfo& info) {
  if (!key.whole || key.algorithm != HashAlgorithm::kSha256 || !info.sha256) return std::nullopt;
  const bool take =
      options_.rehash == RehashMode::kNever || (options_.rehash == RehashMode::kSmall && info.lfs);
  if (!take) return std::nullopt;
  std::lock_guard lock(mu_);
  ++stats_.hub_known;
  stats_.hub_known_paths.push_back(info.path);
  return *info.sha256;
}

void Manifest::CheckKnown(const DigestKey& key, const FileInfo& info, const std::string& computed) {
  if (!key.whole || key.algorithm != HashAlgorithm::kSha256 || !info.sha256) return;
  if (*info.sha256 == computed) return;
  std::lock_guard lock(mu_);
  stats_.known_mismatches.push_back({info.path, *info.sha256, computed});
}

Result<std::string> Manifest::HashBytes(FileReader& reader, const DigestKey& key,
                                        std::vector<std::byte>& buffer) {
  Hasher hasher(key.algorithm);
  uint64_t offset = key.whole ? 0 : key.start;
  const uint64_t end = key.whole ? UINT64_MAX : key.end;
  const uint64_t limit = key.whole ? reader.Size() : end;
  uint64_t hinted = offset;  // WillNeed was issued up to here
  uint64_t read_total = 0;
  while (offset < end) {
    const uint64_t ahead = options_.readahead_bytes;
    if (ahead > 0 && hinted < limit && hinted < offset + ahead / 2) {
      const uint64_t len = std::min(ahead, limit - hinted);
      reader.WillNeed(hinted, len);
      hinted += len;
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - offset));
    Result<size_t> n = reader.ReadAt(offset, std::span<std::byte>(buffer.data(), want));
    if (!n.ok()) return n.error().Wrap("hashing " + key.path);
    if (*n == 0) break;
    hasher.Update(buffer.data(), *n);
    offset += *n;
    read_total += *n;
  }
  if (!key.whole && offset != end) {
    return InvalidInput(key.path + ": the file ends at byte " + std::to_string(offset) +
                        ", before the range end " + std::to_string(end));
  }
  std::lock_guard lock(mu_);
  ++stats_.computed;
  stats_.bytes_read += read_total;
  return hasher.FinalHex();
}

Result<std::string> Manifest::Compute(const DigestKey& key, std::vector<std::byte>& buffer) {
  if (Status listed = EnsureListed(); !listed.ok()) return listed.error();
  std::optional<FileInfo> info = Find(key.path);
  if (!info) return NotFound(key.path + ": not a file of the revision");
  if (!key.whole && (key.start >= key.end)) {
    return InvalidInput(key.path + ": empty or reversed byte range");
  }
  if (std::optional<std::string> known = TakeKnown(key, *info)) return *known;
  Result<std::unique_ptr<FileReader>> reader = source_.Open(key.path);
  if (!reader.ok()) return reader.error();
  if (!key.whole && key.end > (*reader)->Size()) {
    return InvalidInput(key.path + ": range end " + std::to_string(key.end) +
                        " is past the end of the file (" + std::to_string((*reader)->Size()) +
                        " bytes)");
  }
  DigestCache* cache = options_.rehash == RehashMode::kAlways ? nullptr : source_.digest_cache();
  const std::string tag = cache != nullptr ? (*reader)->ContentTag() : "";
  if (!tag.empty()) {
    if (std::optional<std::string> hit = cache->Get(tag, CacheWhat(key))) {
      std::lock_guard lock(mu_);
      ++stats_.cached;
      return *hit;
    }
  }
  Result<std::string> digest = HashBytes(**reader, key, buffer);
  if (!digest.ok()) return digest;
  // Remember only when the file did not change while it was read.
  if (!tag.empty() && (*reader)->ContentTag() == tag) cache->Put(tag, CacheWhat(key), *digest);
  CheckKnown(key, *info, *digest);
  return digest;
}

void Manifest::Finish(const DigestKey& key, Result<std::string> result) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  e.result = std::move(result);
  e.done = true;
  done_cv_.notify_all();
}

Result<std::string> Manifest::Digest(const DigestKey& key) {
  {
    std::unique_lock lock(mu_);
    auto [it, inserted] = entries_.try_emplace(key);
    if (!inserted) {
      Entry& entry = it->second;  // clang 14 cannot capture a structured binding
      done_cv_.wait(lock, [&entry] { return entry.done; });
      return *entry.result;
    }
  }
  std::vector<std::byte> buffer(options_.buffer_bytes);
  Result<std::string> result = Compute(key, buffer);
  Finish(key, result);
  return result;
}

uint64_t Manifest::WorkSize(const DigestKey& key) {
  if (!key.whole) return key.end > key.start ? key.end - key.start : 0;
  std::optional<FileInfo> info = Find(key.path);
  return info ? info->size : 0;
}

void Manifest::Prefetch(const std::vector<DigestKey>& keys) {
  std::vector<std::pair<uint64_t, const DigestKey*>> work;
  {
    std::lock_guard lock(mu_);
    for (const DigestKey& key : keys) {
      if (entries_.try_emplace(key).second) work.emplace_back(0, &key);
    }
  }
  if (work.empty()) return;
  for (auto& [size, key] : work) size = WorkSize(*key);
  // Largest first keeps the threads busy until the end (longest-processing-time rule).
  std::stable_sort(work.begin(), work.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::atomic<size_t> next{0};
  auto run = [&] {
    std::vector<std::byte> buffer(options_.buffer_bytes);
    for (size_t i = next++; i < work.size(); i = next++) {
      Finish(*work[i].second, Compute(*work[i].second, buffer));
    }
  };
  const size_t threads = std::min<size_t>(options_.threads, work.size());
  std::vector<std::jthread> pool;
  for (size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(run);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones started (and this one) do the work
    }
  }
  run();  // the calling thread is one of the workers
}

ManifestStats Manifest::Stats() const {
  std::lock_guard lock(mu_);
  ManifestStats out = stats_;
  std::sort(out.hub_known_paths.begin(), out.hub_known_paths.end());
  return out;
}

}  // namespace provbadge::verifier
