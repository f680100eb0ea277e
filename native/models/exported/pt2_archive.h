// A .pt2 archive as torch.export.save / torch.export.pt2_archive write it: a zip (one top folder, records
// aligned) of programs (models/<name>.json), weights and constants as raw storages described by JSON
// configs (data/weights/..., data/constants/...), and sample inputs (data/sample_inputs/<name>.pt).
#pragma once
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>
#include <memory>
#include <string>
#include <vector>

namespace pof {

class Pt2Archive {
 public:
  // Opens the file; a CheckpointError when it is not a readable .pt2 archive (names what it found).
  explicit Pt2Archive(const std::string& file);

  // The most bytes a record read whole may declare (its JSON, sample inputs, the records kept as they are): a
  // zip member is inflated to its declared size, so a bomb is refused before any of it is read.
  static constexpr size_t kTextLimit = size_t{128} << 20;

  bool Has(const std::string& record) const { return reader_->hasRecord(record); }
  // A record's bytes; a CheckpointError when it declares more than `limit` bytes.
  std::string Text(const std::string& record, size_t limit = kTextLimit) const;
  // The bytes a record declares (its inflated size), without reading it.
  size_t Size(const std::string& record) const;
  // A record's bytes as a flat CPU tensor of `dtype` (a copy, so the archive may close).
  torch::Tensor Storage(const std::string& record, c10::ScalarType dtype) const;
  // How many values of `dtype` a record holds (without reading it); a CheckpointError when not a whole number.
  int64_t Values(const std::string& record, c10::ScalarType dtype) const;
  // The pickled (args, kwargs) of data/sample_inputs/<program>.pt.
  c10::IValue SampleInputs(const std::string& program) const;
  std::vector<std::string> Records() const { return reader_->getAllRecords(); }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
};

}  // namespace pof
