#include "models/exported/pt2_archive.h"
#include <torch/serialize.h>
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
  if (!Has("archive_format") || Text("archive_format") != "pt2") {
    throw UserError(file + " is a zip archive but not a torch.export program (.pt2): it has no archive_format 'pt2' " +
                        "record (a TorchScript module or torch.save file? those go to models.torchScript or importPyTorch)",
                    ErrorKind::kCheckpoint);
  }
  if (Has("byteorder") && Text("byteorder") != "little") {
    throw UserError(file + " stores its weights " + Text("byteorder") + "-endian; this runtime reads little-endian archives",
                    ErrorKind::kCheckpoint);
  }
}

std::string Pt2Archive::Text(const std::string& record) const {
  if (!Has(record)) throw UserError(file_ + " has no record '" + record + "'", ErrorKind::kCheckpoint);
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
  auto [data, size] = reader_->getRecord(record);
  const char* bytes = static_cast<const char*>(data.get());
  try {
    return torch::pickle_load(std::vector<char>(bytes, bytes + size));
  } catch (const c10::Error& e) {
    throw UserError(file_ + ": its sample inputs ('" + record + "') cannot be read: " + CleanMessage(e.what_without_backtrace()),
                    ErrorKind::kCheckpoint);
  }
}

}  // namespace pof
