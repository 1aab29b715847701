// OMS serialization of a revision (files / shards) over the digest engine.
#include "provbadge/verifier/oms_manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "oms_internal.h"

namespace provbadge::verifier {
namespace {

std::string_view NextComponent(std::string_view path, size_t* pos) {
  size_t slash = path.find('/', *pos);
  if (slash == std::string_view::npos) slash = path.size();
  std::string_view part = path.substr(*pos, slash - *pos);
  *pos = slash + 1;
  return part;
}

bool ItemLess(const OmsManifestItem& a, const OmsManifestItem& b) {
  if (a.path != b.path) return OmsPathLess(a.path, b.path);
  return a.start < b.start;
}

std::string AlgorithmLabel(const OmsSerialization& ser) {
  return std::string(HashAlgorithmName(ser.hash));
}

}  // namespace

bool OmsPathLess(std::string_view a, std::string_view b) {
  size_t pa = 0, pb = 0;
  while (pa <= a.size() && pb <= b.size()) {
    std::string_view ca = NextComponent(a, &pa);
    std::string_view cb = NextComponent(b, &pb);
    if (ca != cb) return ca < cb;
  }
  return pa <= a.size() ? false : pb <= b.size();  // a prefix of components sorts first
}

std::vector<DigestKey> ShardKeys(const std::string& path, uint64_t size, HashAlgorithm hash,
                                 uint64_t shard_size) {
  std::vector<DigestKey> keys;
  if (shard_size == 0) return keys;
  for (uint64_t start = 0; start < size; start += std::min(shard_size, size - start)) {
    keys.push_back(DigestKey::Range(path, hash, start, start + std::min(shard_size, size - start)));
  }
  return keys;
}

Result<std::vector<OmsManifestItem>> SerializeOms(Manifest& manifest, const OmsSerialization& ser,
                                                  const std::vector<std::string>& ignore_paths,
                                                  std::string_view single_file) {
  if (ser.shards && ser.shard_size == 0) return InvalidInput("shard size must be positive");
  Result<std::vector<FileInfo>> files = manifest.Files();
  if (!files.ok()) return files.error();
  std::vector<DigestKey> keys;
  bool found_single = false;
  for (const FileInfo& f : *files) {
    if (!single_file.empty() && f.path != single_file) continue;
    if (single_file.empty() && internal::IsIgnored(f.path, ignore_paths)) continue;
    found_single = true;
    if (f.is_symlink && !ser.allow_symlinks) {
      return InvalidInput(f.path + ": symbolic links are not allowed");
    }
    if (!ser.shards) {
      keys.push_back(DigestKey::Whole(f.path, ser.hash));
      continue;
    }
    std::vector<DigestKey> shards = ShardKeys(f.path, f.size, ser.hash, ser.shard_size);
    keys.insert(keys.end(), shards.begin(), shards.end());
  }
  if (!single_file.empty() && !found_single) {
    return InvalidInput(std::string(single_file) + ": not a file of the revision");
  }
  manifest.Prefetch(keys);
  std::vector<OmsManifestItem> items;
  items.reserve(keys.size());
  for (const DigestKey& k : keys) {
    Result<std::string> digest = manifest.Digest(k);
    if (!digest.ok()) return digest.error();
    std::string shown = single_file.empty() ? k.path : ".";
    std::string name =
        k.whole ? shown : shown + ":" + std::to_string(k.start) + ":" + std::to_string(k.end);
    items.push_back({std::move(name), k.path, k.whole, k.start, k.end, std::move(*digest)});
  }
  std::stable_sort(items.begin(), items.end(), ItemLess);
  return items;
}

std::string ManifestLines(const std::vector<OmsManifestItem>& items) {
  std::string out;
  for (const OmsManifestItem& item : items) out += item.name + ":" + item.digest + "\n";
  return out;
}

std::string ManifestJson(const std::vector<OmsManifestItem>& items, const OmsSerialization& ser) {
  nlohmann::json resources = nlohmann::json::array();
  for (const OmsManifestItem& item : items) {
    resources.push_back(
        {{"name", item.name}, {"algorithm", AlgorithmLabel(ser)}, {"digest", item.digest}});
  }
  nlohmann::json serialization = {{"method", ser.shards ? "shards" : "files"},
                                  {"hash_type", HashAlgorithmName(ser.hash)},
                                  {"allow_symlinks", ser.allow_symlinks}};
  if (ser.shards) serialization["shard_size"] = ser.shard_size;
  nlohmann::json doc = {{"serialization", std::move(serialization)},
                        {"resources", std::move(resources)},
                        {"root_sha256", OmsRootDigest(items)}};
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string OmsRootDigest(const std::vector<OmsManifestItem>& items) {
  Sha256 root;
  for (const OmsManifestItem& item : items) {
    Result<std::string> raw = HexDecode(item.digest);
    if (raw.ok()) root.Update(*raw);
  }
  return root.FinalHex();
}

}  // namespace provbadge::verifier
