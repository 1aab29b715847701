// FidelityReport rendering (fidelity.h): JSON and text.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "provbadge/verifier/fidelity.h"

namespace provbadge::verifier {
namespace {

constexpr const char* kScope =
    "Faithfulness to the named source only: this proves the GGUF is what converting and "
    "quantizing that source produces, not that the model is safe. A source crafted to quantize "
    "into a malicious model passes (see docs/findings.md, Fidelity).";

}  // namespace

std::string_view FidelityVerdictName(FidelityVerdict v) {
  switch (v) {
    case FidelityVerdict::kFaithful:
      return "faithful";
    case FidelityVerdict::kNotFaithful:
      return "not_faithful";
    case FidelityVerdict::kUnverifiable:
      return "unverifiable";
  }
  return "not_faithful";
}

std::string_view TensorStatusName(TensorStatus s) {
  switch (s) {
    case TensorStatus::kExact:
      return "exact";
    case TensorStatus::kGridConsistent:
      return "grid-consistent";
    case TensorStatus::kMismatch:
      return "mismatch";
    case TensorStatus::kUnverifiable:
      return "unverifiable";
  }
  return "mismatch";
}

std::string FidelityReportToJson(const FidelityReport& r) {
  using nlohmann::json;
  json j;
  j["verdict"] = FidelityVerdictName(r.verdict);
  j["tier"] = r.tier;
  j["scope"] = kScope;
  j["gguf"] = r.gguf_path;
  j["architecture"] = r.architecture;
  j["path"] = r.path;
  j["variant"] = r.variant;
  j["imatrix"] = r.imatrix;
  j["findings"] = json::array();
  for (const Finding& f : r.findings) {
    j["findings"].push_back({{"code", f.code},
                             {"severity", SeverityName(f.severity)},
                             {"message", f.message},
                             {"path", f.path},
                             {"expected", f.expected},
                             {"actual", f.actual}});
  }
  j["tensors"] = json::array();
  for (const TensorFidelity& t : r.tensors) {
    json o = {{"name", t.name},
              {"gguf_type", t.gguf_type},
              {"source_tensor", t.source_tensor},
              {"transform", t.transform},
              {"path", t.path},
              {"variant", t.variant},
              {"status", TensorStatusName(t.status)},
              {"blocks_total", t.blocks_total},
              {"blocks_mismatch", t.blocks_mismatch},
              {"max_abs_dev", t.max_abs_dev}};
    o["first_mismatch"] = t.first_mismatch_block < 0 ? json(nullptr)
                                                     : json{{"block", t.first_mismatch_block},
                                                            {"row", t.first_mismatch_row}};
    o["grid_inconsistent_weights"] =
        t.grid_inconsistent_weights < 0 ? json(nullptr) : json(t.grid_inconsistent_weights);
    if (!t.note.empty()) o["note"] = t.note;
    j["tensors"].push_back(std::move(o));
  }
  return j.dump(1);
}

std::string FidelityReportToText(const FidelityReport& r) {
  std::string out = "fidelity: " + std::string(FidelityVerdictName(r.verdict));
  if (!r.tier.empty()) out += " (" + r.tier + ")";
  out += "\n  gguf: " + r.gguf_path + "  architecture: " + r.architecture + "  path: " + r.path +
         "  variant: " + r.variant + (r.imatrix ? "  imatrix: yes" : "") + "\n";
  for (const TensorFidelity& t : r.tensors) {
    char line[512];
    std::snprintf(line, sizeof line, "  %-28s %-5s %-16s %-10s %6llu blocks", t.name.c_str(),
                  t.gguf_type.c_str(), std::string(TensorStatusName(t.status)).c_str(),
                  t.path.c_str(), static_cast<unsigned long long>(t.blocks_total));
    out += line;
    if (t.blocks_mismatch > 0) {
      std::snprintf(line, sizeof line,
                    ", %llu mismatching, first block %lld (row %lld), max |dev| %.3g",
                    static_cast<unsigned long long>(t.blocks_mismatch),
                    static_cast<long long>(t.first_mismatch_block),
                    static_cast<long long>(t.first_mismatch_row), t.max_abs_dev);
      out += line;
      if (t.grid_inconsistent_weights >= 0)
        out += ", " + std::to_string(t.grid_inconsistent_weights) + " off-grid weights";
    }
    if (!t.note.empty()) out += " (" + t.note + ")";
    out += "\n";
  }
  for (const Finding& f : r.findings) {
    out += "  " + std::string(SeverityName(f.severity)) + " " + f.code + ": " + f.message;
    if (!f.expected.empty() || !f.actual.empty())
      out += " (expected " + f.expected + ", actual " + f.actual + ")";
    out += "\n";
  }
  out += std::string("  note: ") + kScope + "\n";
  return out;
}

}  // namespace provbadge::verifier
