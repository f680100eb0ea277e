#include "data/stored_rows.h"
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include "errors.h"

namespace pof {

namespace {

// Reads started ahead and not (yet) asked for: PoF asks for B and B~ per step, and featureReuse may skip B~.
constexpr size_t kMaxPending = 3;

UserError StoreProblem(const std::string& message) { return UserError(message, ErrorKind::kDataset); }

bool SameTime(const struct timespec& a, const struct timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

}  // namespace

StoredRows::StoredRows(StoredArray array, bool pinned) : array_(std::move(array)), pinned_(pinned) {
  if (array_.shape.size() < 2) throw StoreProblem(array_.file + ": a stored array needs shape [N, ...], got " + c10::str(array_.shape));
  row_bytes_ = static_cast<int64_t>(c10::elementSize(array_.dtype));
  for (size_t i = 1; i < array_.shape.size(); ++i) row_bytes_ *= array_.shape[i];
  // O_NONBLOCK: a FIFO put in the file's place must not block the open; regular files ignore it.
  fd_ = ::open(array_.file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) throw UserError(array_.file + ": cannot open the stored inputs: " + std::strerror(errno), ErrorKind::kDataset);
  if (::fstat(fd_, &opened_) != 0 || !S_ISREG(opened_.st_mode)) {
    ::close(fd_);
    throw UserError(array_.file + ": the stored inputs must be a regular file", ErrorKind::kDataset);
  }
  const int64_t needed = array_.offset + row_bytes_ * array_.shape[0];
  if (opened_.st_size < needed) {
    ::close(fd_);
    throw StoreProblem(array_.file + " holds " + std::to_string(opened_.st_size) + " bytes but its " + std::to_string(array_.shape[0]) +
                       " examples of " + std::to_string(row_bytes_) + " bytes after a " + std::to_string(array_.offset) +
                       "-byte header need " + std::to_string(needed) + "; the file is truncated");
  }
}

StoredRows::~StoredRows() {
  pending_.clear();  // waits for reads still running: they use fd_
  if (fd_ >= 0) ::close(fd_);
}

void StoredRows::CheckUnchanged() const {
  struct stat now {};
  if (::fstat(fd_, &now) != 0) throw StoreProblem(array_.file + ": cannot stat the stored inputs: " + std::strerror(errno));
  if (now.st_size != opened_.st_size || !SameTime(now.st_mtim, opened_.st_mtim)) {
    throw StoreProblem(array_.file + " changed while in use (" + std::to_string(opened_.st_size) + " bytes when opened, " +
                       std::to_string(now.st_size) + " now" + (now.st_size == opened_.st_size ? ", modified since" : "") +
                       "); prepare the store again, or restore it, and resume from the last checkpoint");
  }
}

torch::Tensor StoredRows::Read(const torch::Tensor& indices) const {
  CheckUnchanged();
  const auto idx = indices.contiguous();
  const int64_t* p = idx.data_ptr<int64_t>();
  std::vector<int64_t> shape{idx.numel()};
  for (size_t i = 1; i < array_.shape.size(); ++i) shape.push_back(array_.shape[i]);
  auto out = torch::empty(shape, torch::TensorOptions().dtype(array_.dtype).pinned_memory(pinned_));
  char* dst = static_cast<char*>(out.data_ptr());
  for (int64_t k = 0; k < idx.numel(); ++k) {
    int64_t done = 0;
    const int64_t at = array_.offset + p[k] * row_bytes_;
    while (done < row_bytes_) {
      const ssize_t got = ::pread(fd_, dst + k * row_bytes_ + done, static_cast<size_t>(row_bytes_ - done), at + done);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw StoreProblem(array_.file + ": reading example " + std::to_string(p[k]) + " failed: " + std::strerror(errno));
      if (got == 0) {
        CheckUnchanged();  // the likelier story: the file was cut short since it was opened
        throw StoreProblem(array_.file + ": example " + std::to_string(p[k]) + " lies past the end of the file");
      }
      done += got;
    }
  }
  CheckValues(out, p);
  return out;
}

void StoredRows::CheckValues(const torch::Tensor& rows, const int64_t* indices) const {
  // A host tensor: no device sync.
  const auto breach = FirstBreach(rows, array_.values);
  if (!breach) return;
  const auto value = rows[breach->example].flatten()[breach->position];
  const std::string where = array_.file + ": example " + std::to_string(indices[breach->example]) + " holds ";
  const std::string at = " at position " + std::to_string(breach->position);
  if (array_.values == ValueRule::kNonNegative) throw StoreProblem(where + "token id " + std::to_string(value.item<int64_t>()) + at + "; expected ids >= 0");
  throw UserError(where + c10::str(value.item<float>()) + at + "; expected finite values", ErrorKind::kNonFinite);
}

torch::Tensor StoredRows::Take(const torch::Tensor& indices, const torch::Device& device) const {
  const auto host = indices.to(torch::kCPU);
  std::shared_future<torch::Tensor> ahead;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->indices.sizes() == host.sizes() && torch::equal(it->indices, host)) {
        ahead = it->rows;
        pending_.erase(it);
        break;
      }
    }
  }
  auto rows = ahead.valid() ? ahead.get() : Read(host);
  // From pinned memory the copy is asynchronous; the caching host allocator keeps the block until it is done.
  return rows.to(device, /*non_blocking=*/pinned_);
}

void StoredRows::ReadAhead(const torch::Tensor& indices) const {
  auto host = indices.to(torch::kCPU).clone();
  auto rows = std::async(std::launch::async, [this, host] { return Read(host); }).share();
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back({host, std::move(rows)});
  while (pending_.size() > kMaxPending) pending_.pop_front();
}

}  // namespace pof
