// CheckFidelity (fidelity.h): parse both sides, map tensors, check each, decide file-wide.
#include "provbadge/verifier/fidelity.h"

#include <set>

#include "fidelity_arch.h"
#include "fidelity_parallel.h"
#include "fidelity_source.h"
#include "fidelity_tensor.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

using fidelity::kCandidates;
using fidelity::TensorCheckResult;

Finding MakeFinding(std::string code, Severity sev, std::string message, std::string path = "",
                    std::string expected = "", std::string actual = "") {
  Finding f;
  f.code = std::move(code);
  f.severity = sev;
  f.message = std::move(message);
  f.path = std::move(path);
  f.expected = std::move(expected);
  f.actual = std::move(actual);
  return f;
}

// A parse error as a finding: "<code>: <sentence>" -> code + sentence.
Finding FromParseError(const Error& e, const std::string& path) {
  std::string_view code = FindingCodeOf(e);
  std::string msg = e.message();
  if (!code.empty()) msg = msg.substr(code.size() + 2);
  return MakeFinding(code.empty() ? "fidelity.invalid" : std::string(code), Severity::kError, msg,
                     path);
}

std::string ShapeString(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// GGUF ne (innermost first) as a PyTorch shape (outermost first).
std::vector<uint64_t> TorchShape(const GgufTensorInfo& t) {
  std::vector<uint64_t> s;
  for (uint32_t d = t.n_dims; d-- > 0;) s.push_back(t.ne[d]);
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Pending {
  size_t report_index;
  TensorCheckResult result;
  bool quantized, fma_type;
  std::string source_dtype;
};

class Driver {
 public:
  Driver(RevisionSource& source, RevisionSource& quantized, std::string_view gguf_path,
         const FidelityOptions& o)
      : source_(source), quantized_(quantized), options_(o) {
    report_.gguf_path = std::string(gguf_path);
  }

  Result<FidelityReport> Run() {
    if (Status s = Prepare(); !s.ok()) return s.error();
    if (done_) return Finish();
    std::set<std::string> used;
    for (const GgufTensorInfo& t : gguf_.tensors) Plan(t, &used);
    if (Status s = CheckJobs(); !s.ok()) return s.error();
    for (const auto& [name, where] : model_->tensors) {
      if (used.count(name) || name.ends_with("rotary_emb.inv_freq")) continue;
      const bool tied_lm_head = name == "lm_head.weight" && config_.tied_embeddings;
      Add(tied_lm_head ? "fidelity.source_tied_duplicate" : "fidelity.source_unused",
          tied_lm_head ? Severity::kWarning : Severity::kError,
          tied_lm_head
              ? "lm_head.weight is present but the embeddings are tied; the GGUF uses embed_tokens"
              : "source tensor " + name + " has no counterpart in the GGUF",
          name);
    }
    if (Status s = Decide(); !s.ok()) return s.error();
    return Finish();
  }

 private:
  void Add(std::string code, Severity sev, std::string message, std::string path = "",
           std::string expected = "", std::string actual = "") {
    report_.findings.push_back(MakeFinding(std::move(code), sev, std::move(message),
                                           std::move(path), std::move(expected),
                                           std::move(actual)));
  }

  // Parses both sides; sets done_ when there is nothing to check tensor by tensor.
  Status Prepare() {
    auto reader = quantized_.Open(report_.gguf_path);
    if (!reader.ok()) {
      if (reader.error().code() != ErrorCode::kNotFound) return reader.error();
      Add("fidelity.gguf_missing", Severity::kError, "the GGUF is not in the revision",
          report_.gguf_path);
      done_ = true;
      return Status::Ok();
    }
    gguf_reader_ = std::move(*reader);
    auto parsed = ParseGguf(*gguf_reader_);
    if (!parsed.ok()) {
      if (parsed.error().code() == ErrorCode::kUnavailable) return parsed.error();
      report_.findings.push_back(FromParseError(parsed.error(), report_.gguf_path));
      done_ = true;
      return Status::Ok();
    }
    gguf_ = std::move(*parsed);
    report_.architecture = gguf_.GetString("general.architecture").value_or("");
    for (const auto& [key, value] : gguf_.metadata) {
      if (key.starts_with("quantize.imatrix.")) report_.imatrix = true;
    }
    auto model = fidelity::LoadSourceModel(source_);
    if (!model.ok()) {
      if (model.error().code() == ErrorCode::kUnavailable) return model.error();
      report_.findings.push_back(FromParseError(model.error(), ""));
      report_.findings.back().severity = Severity::kWarning;  // the source is broken: unverifiable
      source_broken_ = done_ = true;
      return Status::Ok();
    }
    model_ = std::move(*model);
    auto config = fidelity::ParseModelConfig(model_->config_json);
    if (!config.ok()) {
      report_.findings.push_back(FromParseError(config.error(), "config.json"));
      report_.findings.back().severity = Severity::kWarning;
      source_broken_ = done_ = true;
      return Status::Ok();
    }
    config_ = std::move(*config);
    arch_ = fidelity::FindArch(config_);
    if (!arch_) {
      Add("fidelity.architecture_unknown", Severity::kWarning,
          "no conversion rules are known for this architecture; the GGUF cannot be checked",
          "config.json", "",
          config_.architectures.empty() ? config_.model_type : config_.architectures.front());
      unknown_arch_ = done_ = true;
      return Status::Ok();
    }
    if (report_.architecture != fidelity::GgufArchName(*arch_)) {
      Add("fidelity.architecture_mismatch", Severity::kError,
          "general.architecture is not what the conversion writes", report_.gguf_path,
          std::string(fidelity::GgufArchName(*arch_)), report_.architecture);
      done_ = true;
      return Status::Ok();
    }
    for (Finding& f : fidelity::CheckHyperParameters(*arch_, gguf_, config_)) {
      f.path = report_.gguf_path;
      report_.findings.push_back(std::move(f));
    }
    if (report_.imatrix) {
      Add("fidelity.imatrix", Severity::kInfo,
          "the GGUF was quantized with an imatrix: K-quant scales are not re-derived, only the "
          "quants against them");
    }
    return Status::Ok();
  }

  // The tensor's entry in the report; a job when it is to be checked (CheckJobs), else its
  // findings.
  void Plan(const GgufTensorInfo& t, std::set<std::string>* used) {
    TensorFidelity tf;
    tf.name = t.name;
    auto type = LookupGgmlType(t.type);
    tf.gguf_type = type ? std::string(type->name) : std::to_string(t.type);
    auto origin = fidelity::MapTensor(*arch_, t.name, config_);
    if (origin && origin->source_name == "lm_head.weight" &&
        !model_->tensors.count("lm_head.weight") && config_.tied_embeddings) {
      origin->source_name = "model.embed_tokens.weight";
      origin->transform = "tied(model.embed_tokens.weight)";
    }
    auto it = origin ? model_->tensors.find(origin->source_name) : model_->tensors.end();
    if (!origin || it == model_->tensors.end()) {
      tf.status = TensorStatus::kMismatch;
      tf.note = origin ? "source tensor " + origin->source_name + " is missing"
                       : "the conversion never writes this tensor";
      Add("fidelity.tensor_unmapped", Severity::kError,
          "GGUF tensor " + t.name + " has no source tensor: " + tf.note, t.name);
      report_.tensors.push_back(std::move(tf));
      return;
    }
    used->insert(origin->source_name);
    tf.source_tensor = origin->source_name;
    tf.transform = origin->transform;
    const auto& [shard, st] = it->second;
    if (TorchShape(t) != st->shape) {
      tf.status = TensorStatus::kMismatch;
      tf.note = "shape differs from the source";
      Add("fidelity.shape_mismatch", Severity::kError,
          "GGUF tensor " + t.name + " does not have its source's shape", t.name,
          ShapeString(st->shape), ShapeString(TorchShape(t)));
      report_.tensors.push_back(std::move(tf));
      return;
    }
    const bool k_quant = type && type->block_elems == 256;
    fidelity::TensorJob job;
    job.input.info = &t;
    job.input.data_offset = gguf_.data_offset;
    job.input.source = st;
    job.input.permute_heads = origin->permute_heads;
    job.input.grid_only = report_.imatrix && k_quant;
    job.shard = shard;
    TensorCheckResult r;
    r.note = fidelity::UnverifiableReason(job.input);
    if (!r.note.empty()) {
      r.unverifiable = true;
      tf.status = TensorStatus::kUnverifiable;
      tf.note = r.note;
      Add("fidelity.tensor_unverifiable", Severity::kWarning,
          "GGUF tensor " + t.name + " cannot be checked: " + r.note, t.name);
    } else {
      jobs_.push_back(std::move(job));
      job_pending_.push_back(pending_.size());
    }
    pending_.push_back({report_.tensors.size(), std::move(r), type && type->block_elems > 1,
                        type && HasFmaVariant(static_cast<GgmlType>(type->id)), st->dtype});
    report_.tensors.push_back(std::move(tf));
  }

  fidelity::JobFiles Files() {
    fidelity::JobFiles files;
    files.quantized = &quantized_;
    files.gguf_path = report_.gguf_path;
    files.gguf = gguf_reader_.get();
    files.source = &source_;
    for (const fidelity::SourceShard& shard : model_->shards) {
      files.shard_paths.push_back(shard.path);
      files.shards.push_back(shard.reader.get());
    }
    return files;
  }

  // Checks every planned job (fidelity_parallel.h) and files the results.
  Status CheckJobs() {
    auto results = fidelity::CheckTensors(jobs_, Files(), options_);
    if (!results.ok()) return results.status();
    for (size_t j = 0; j < jobs_.size(); ++j) {
      Pending& p = pending_[job_pending_[j]];
      p.result = std::move((*results)[j]);
      report_.tensors[p.report_index].blocks_total = p.result.blocks_total;
    }
    return Status::Ok();
  }

  // The candidate a tensor is labelled with under the file-wide path and variant.
  static int Chosen(const Pending& p, int path, int variant) {
    const int pp = p.quantized && p.source_dtype != "F16" ? path : 0;
    return pp * 2 + (p.fma_type ? variant : 0);
  }

  // A candidate stops being evaluated once it mismatches while another candidate is clean (in a
  // file the FMA variant made, candidate 0 after its first row the variants round differently).
  // The report shows the chosen candidate's counts, so a tensor it does not reproduce and left
  // incomplete is checked again with it kept on every row (rare: a mismatch). Keeping one
  // candidate changes no candidate's reproducing the tensor, so a second read that disagrees
  // there read other bytes: the files changed, and there is no verdict (never a tensor that
  // failed turned exact after the path and variant were picked).
  Status RecheckShown(int path, int variant) {
    std::vector<fidelity::TensorJob> again;
    std::vector<size_t> again_pending;
    for (size_t j = 0; j < jobs_.size(); ++j) {
      const Pending& p = pending_[job_pending_[j]];
      const int c = Chosen(p, path, variant);
      if (p.result.candidates[c].complete) continue;
      again.push_back(jobs_[j]);
      again.back().input.keep_candidate = c;
      again_pending.push_back(job_pending_[j]);
    }
    if (again.empty()) return Status::Ok();
    auto results = fidelity::CheckTensors(again, Files(), options_);
    if (!results.ok()) return results.status();
    for (size_t k = 0; k < again.size(); ++k) {
      Pending& p = pending_[again_pending[k]];
      for (int c = 0; c < kCandidates; ++c) {
        if ((*results)[k].candidates[c].Clean() != p.result.candidates[c].Clean()) {
          return Unavailable(report_.gguf_path + ": file changed while reading (tensor " +
                             report_.tensors[p.report_index].name + " read twice differs)");
        }
      }
      p.result = std::move((*results)[k]);
    }
    return Status::Ok();
  }

  // Picks one path and one variant that explain every tensor (findings when none does; then
  // path or variant 0), checks again what the report shows incompletely, and labels each tensor.
  Status Decide() {
    unsigned path_mask = 3, variant_mask = 3;
    for (const Pending& p : pending_) {
      if (p.result.unverifiable) continue;
      unsigned paths = 0, variants = 0;
      for (int c = 0; c < kCandidates; ++c) {
        if (!p.result.candidates[c].Clean()) continue;
        paths |= 1u << (c / 2);
        variants |= 1u << (c % 2);
      }
      if (paths == 0) continue;  // a mismatch; reported below
      if (p.quantized && p.source_dtype != "F16") path_mask &= paths;
      if (p.fma_type) variant_mask &= variants;
    }
    const int path = path_mask & 1 ? 0 : (path_mask & 2 ? 1 : -1);
    const int variant = variant_mask & 1 ? 0 : (variant_mask & 2 ? 1 : -1);
    if (path < 0)
      Add("fidelity.path_inconsistent", Severity::kError,
          "no single source path (direct or through f16) explains every tensor");
    if (variant < 0)
      Add("fidelity.variant_inconsistent", Severity::kError,
          "no single rounding variant (plain or FMA) explains every legacy-type tensor");
    const int p_used = path < 0 ? 0 : path, v_used = variant < 0 ? 0 : variant;
    if (Status s = RecheckShown(p_used, v_used); !s.ok()) return s;
    for (Pending& p : pending_) {
      TensorFidelity& tf = report_.tensors[p.report_index];
      if (p.result.unverifiable) continue;
      const std::string base = Lower(p.source_dtype);
      const int chosen_c = Chosen(p, p_used, v_used);
      const fidelity::CandidateStats& shown = p.result.candidates[chosen_c];
      const bool ok = shown.Clean();
      const int shown_path = chosen_c / 2, shown_variant = chosen_c % 2;
      tf.path = shown_path ? base + "->f16" : base;
      tf.variant =
          !p.quantized
              ? "cast"
              : (report_.imatrix && tf.gguf_type.ends_with("_K")
                     ? "grid"
                     : std::string(RoundingVariantName(shown_variant ? RoundingVariant::kFma
                                                                     : RoundingVariant::kPlain)));
      tf.blocks_mismatch = shown.blocks_mismatch;
      tf.first_mismatch_block = shown.first_block;
      tf.first_mismatch_row = shown.first_row;
      tf.max_abs_dev = shown.max_abs_dev;
      tf.grid_inconsistent_weights = tf.gguf_type.ends_with("_K") ? shown.grid_bad_weights : -1;
      if (ok) {
        tf.status = report_.imatrix && tf.gguf_type.ends_with("_K") ? TensorStatus::kGridConsistent
                                                                    : TensorStatus::kExact;
        continue;
      }
      if (report_.imatrix && p.fma_type) {
        tf.status = TensorStatus::kUnverifiable;
        tf.note =
            "a legacy type quantized with an imatrix cannot be re-derived without the imatrix";
        Add("fidelity.tensor_unverifiable", Severity::kWarning,
            "GGUF tensor " + tf.name + ": " + tf.note, tf.name);
        continue;
      }
      tf.status = TensorStatus::kMismatch;
      Add("fidelity.tensor_mismatch", Severity::kError,
          "GGUF tensor " + tf.name + " is not the " + tf.gguf_type + " quantization of " +
              tf.source_tensor + ": " + std::to_string(tf.blocks_mismatch) + " of " +
              std::to_string(tf.blocks_total) + " blocks differ, first block " +
              std::to_string(tf.first_mismatch_block) + " (row " +
              std::to_string(tf.first_mismatch_row) + ")",
          tf.name);
    }
    report_.path =
        pending_.empty() ? "" : Lower(pending_.front().source_dtype) + (p_used ? "->f16" : "");
    report_.variant = RoundingVariantName(v_used ? RoundingVariant::kFma : RoundingVariant::kPlain);
    return Status::Ok();
  }

  Result<FidelityReport> Finish() {
    bool unverifiable = source_broken_ || unknown_arch_;
    for (const TensorFidelity& t : report_.tensors)
      unverifiable = unverifiable || t.status == TensorStatus::kUnverifiable;
    if (report_.HasErrors()) {
      report_.verdict = FidelityVerdict::kNotFaithful;
    } else if (unverifiable || report_.tensors.empty()) {
      report_.verdict = FidelityVerdict::kUnverifiable;
    } else {
      report_.verdict = FidelityVerdict::kFaithful;
      bool all_exact = true;
      for (const TensorFidelity& t : report_.tensors)
        all_exact = all_exact && t.status == TensorStatus::kExact;
      report_.tier = all_exact ? "bit-exact" : "grid-consistent";
    }
    return std::move(report_);
  }

  RevisionSource& source_;
  RevisionSource& quantized_;
  const FidelityOptions& options_;
  FidelityReport report_;
  std::unique_ptr<FileReader> gguf_reader_;
  GgufFile gguf_;
  std::unique_ptr<fidelity::SourceModel> model_;
  fidelity::ModelConfig config_;
  const fidelity::ArchSpec* arch_ = nullptr;
  std::vector<Pending> pending_;
  std::vector<fidelity::TensorJob> jobs_;
  std::vector<size_t> job_pending_;  // jobs_[j]'s entry in pending_
  bool done_ = false, source_broken_ = false, unknown_arch_ = false;
};

}  // namespace

bool FidelityReport::HasErrors() const {
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) return true;
  }
  return false;
}

Result<FidelityReport> CheckFidelity(RevisionSource& source, RevisionSource& quantized,
                                     std::string_view gguf_path, const FidelityOptions& options) {
  return Driver(source, quantized, gguf_path, options).Run();
}

}  // namespace provbadge::verifier
