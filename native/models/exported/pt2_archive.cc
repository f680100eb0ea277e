#include "models/exported/pt2_archive.h"
#include <torch/serialize.h>
#include <set>
#include "errors.h"

namespace pof {

Pt2Archive::Pt2Archive(const std::string& file) : file_(file) {
  try {
    reader_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(file);
  } catch (const c10::Error& e) {
    throw UserError(file + " cannot be read as a .pt2 archive (a zip written by torch.export.save): " +
                        CleanMessage(e.what_without_backtrace()),
                    ErrorKind::kCheckpoint);
  }
  // Two members under one name: this reader would take the first, Python's zipfile the last.
  std::set<std::string> names;
  for (const auto& record : Records()) {
    if (!names.insert(record).second) {
      throw UserError(file + " holds two records named '" + record + "' (readers differ on which is meant): not an archive " +
                          "torch wrote", ErrorKind::kCheckpoint);
    }
  }
  if (!Has("archive_format") || Text("archive_format", 64) != "pt2") {
    throw UserError(file + " is a zip archive but not a torch.export program (.pt2): it has no archive_format 'pt2' " +
                        "record (a TorchScript module or torch.save file? those go to models.torchScript or importPyTorch)",
                    ErrorKind::kCheckpoint);
  }
  if (Has("byteorder") && Text("byteorder", 64) != "little") {
    throw UserError(file + " stores its weights " + Text("byteorder", 64) + "-endian; this runtime reads little-endian archives",
                    ErrorKind::kCheckpoint);
  }
}

size_t Pt2Archive::Size(const std::string& record) const {
  if (!Has(record)) throw UserError(file_ + " has no record '" + record + "'", ErrorKind::kCheckpoint);
  return reader_->getRecordSize(record);
}

std::string Pt2Archive::Text(const std::string& record, size_t limit) const {
  if (const size_t declared = Size(record); declared > limit) {
    throw UserError(file_ + ": record '" + record + "' declares " + FormatBytes(static_cast<double>(declared)) +
                        " inflated, more than the " + FormatBytes(static_cast<double>(limit)) + " such a record may hold " +
                        "(a zip bomb, or not an archive torch wrote)",
                    ErrorKind::kCheckpoint);
  }
  auto [data, size] = reader_->getRecord(record);
  return std::string(static_cast<const char*>(data.get()), size);
}

int64_t Pt2Archive::Values(const std::string& record, c10::ScalarType dtype) const {
  if (!Has(record)) throw UserError(file_ + " has no weight record '" + record + "'", ErrorKind::kCheckpoint);
  const size_t size = reader_->getRecordSize(record), element = c10::elementSize(dtype);
  if (size % element != 0) {
    throw UserError(file_ + ": record '" + record + "' holds " + std::to_string(size) + " bytes, not a whole number of " +
                        c10::toString(dtype) + " values",
                    ErrorKind::kCheckpoint);
  }
  return static_cast<int64_t>(size / element);
}

torch::Tensor Pt2Archive::Storage(const std::string& record, c10::ScalarType dtype) const {
  auto out = torch::empty({Values(record, dtype)}, torch::TensorOptions().dtype(dtype));
  if (out.numel() > 0) reader_->getRecord(record, out.data_ptr(), out.nbytes());
  return out;
}

c10::IValue Pt2Archive::SampleInputs(const std::string& program) const {
  const std::string record = "data/sample_inputs/" + program + ".pt";
  if (!Has(record)) throw UserError(file_ + " has no sample inputs ('" + record + "')", ErrorKind::kCheckpoint);
  const std::string bytes = Text(record);
  try {
    return torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const c10::Error& e) {
    throw UserError(file_ + ": its sample inputs ('" + record + "') cannot be read: " + CleanMessage(e.what_without_backtrace()),
                    ErrorKind::kCheckpoint);
  }
}

}  // namespace pof
