// A split's inputs left in a file on disk (a C-order .npy array: a prepared store's inputs.npy, or the
// user's own), read a batch at a time with pread into (on CUDA, pinned) host memory, the next batch read
// ahead on a worker thread while the current one trains. pread rather than mmap: a mapped file that is
// truncated under us kills the process with SIGBUS, where a short read becomes an error naming the file.
#pragma once
#include <sys/stat.h>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include "data/example_rows.h"
#include "data/value_rule.h"

namespace pof {

struct StoredArray {
  std::string file;
  int64_t offset = 0;  // where the data starts (after the .npy header)
  c10::ScalarType dtype = torch::kByte;
  std::vector<int64_t> shape;  // [N, ...]
  // What every value read must be, checked as each batch is read (reading the file up front would cost an epoch).
  ValueRule values = ValueRule::kAny;
};

class StoredRows final : public ExampleRows {
 public:
  // Opens the file (a regular file, holding at least the array's bytes), a DatasetError naming it otherwise.
  StoredRows(StoredArray array, bool pinned);
  ~StoredRows() override;
  StoredRows(const StoredRows&) = delete;
  StoredRows& operator=(const StoredRows&) = delete;

  int64_t size() const override { return array_.shape[0]; }
  std::vector<int64_t> example_shape() const override { return {array_.shape.begin() + 1, array_.shape.end()}; }
  torch::Tensor Take(const torch::Tensor& indices, const torch::Device& device) const override;
  void ReadAhead(const torch::Tensor& indices) const override;
  bool reads_on_host() const override { return true; }
  int64_t resident_bytes() const override { return 0; }

 private:
  struct Pending {
    torch::Tensor indices;  // int64 on the host
    std::shared_future<torch::Tensor> rows;
  };
  // The rows at host `indices`, read on the calling thread.
  torch::Tensor Read(const torch::Tensor& indices) const;
  // A DatasetError when the file's size or modification time differ from when it was opened.
  void CheckUnchanged() const;
  // A DatasetError naming the first example among `rows` (read at host `indices`) whose values break array_.values.
  void CheckValues(const torch::Tensor& rows, const int64_t* indices) const;

  StoredArray array_;
  bool pinned_;
  int fd_ = -1;
  int64_t row_bytes_ = 0;
  struct stat opened_ {};
  mutable std::mutex mutex_;
  mutable std::deque<Pending> pending_;  // reads started by ReadAhead, oldest first
};

}  // namespace pof
