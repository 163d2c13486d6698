#include "lpnn/builder.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "lpnn/cost_template.hpp"
#include "lpnn/error.hpp"
#include "lpnn/provenance.hpp"
#include "lpnn/store.hpp"

namespace lpnn {

LocalPart LocalPart::of_rank(const PolytopeLayout& layout, int rank, int ranks) {
  LocalPart part;
  part.samples = SampleRange::of_rank(layout.D, rank, ranks);
  part.row_begin = part.samples.first * layout.rows_per_sample();
  part.row_end = part.row_begin + part.samples.count * layout.rows_per_sample();
  part.column_begin = rank == 0 ? 0 : layout.lambda_column(part.samples.first, 0);
  part.column_end = layout.lambda_column(part.samples.first + part.samples.count, 0);
  return part;
}

namespace {

// One log stage per pipeline phase so that -log_view explains a build (template, generate, assemble, write).
struct BuildStages {
  PetscLogStage cost_template, generate, assemble, write;
  BuildStages() {
    LPNN_PETSC(PetscLogStageGetId("lpnn: template", &cost_template));
    if (cost_template < 0) {
      LPNN_PETSC(PetscLogStageRegister("lpnn: template", &cost_template));
      LPNN_PETSC(PetscLogStageRegister("lpnn: generate", &generate));
      LPNN_PETSC(PetscLogStageRegister("lpnn: assemble", &assemble));
      LPNN_PETSC(PetscLogStageRegister("lpnn: write", &write));
    } else {
      LPNN_PETSC(PetscLogStageGetId("lpnn: generate", &generate));
      LPNN_PETSC(PetscLogStageGetId("lpnn: assemble", &assemble));
      LPNN_PETSC(PetscLogStageGetId("lpnn: write", &write));
    }
  }
};

class StageTimer {
 public:
  StageTimer(PetscLogStage stage, double& seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {
    LPNN_PETSC(PetscLogStagePush(stage));
  }
  ~StageTimer() {
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    (void)PetscLogStagePop();
  }

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

class Progress {
 public:
  Progress(bool enabled, std::int64_t total) : enabled_(enabled), total_(total), start_(clock::now()), last_(start_) {}
  void update(std::int64_t done) {
    if (!enabled_ || total_ <= 0) return;
    const auto now = clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double fraction = static_cast<double>(done) / static_cast<double>(total_);
    const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
    std::fprintf(stderr, "\r[lpnn-build] %5.1f%%  %.1f s elapsed, ETA %.1f s   %s", 100.0 * fraction, elapsed, eta,
                 done >= total_ ? "\n" : "");
    std::fflush(stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  bool enabled_;
  std::int64_t total_;
  clock::time_point start_, last_;
};

// Calls fn(begin, end) over [first, last) in pieces of at most `chunk`, the same number of times on
// every rank (collective writes need that): ranks that run out get empty pieces.
template <typename Fn>
void for_each_chunk(MPI_Comm comm, std::int64_t first, std::int64_t last, std::int64_t chunk, Fn&& fn) {
  std::int64_t chunks = (last - first + chunk - 1) / chunk, max_chunks = 0;
  LPNN_MPI(MPI_Allreduce(&chunks, &max_chunks, 1, MPI_INT64_T, MPI_MAX, comm));
  for (std::int64_t c = 0; c < max_chunks; ++c) {
    const std::int64_t begin = std::min(first + c * chunk, last);
    fn(begin, std::min(begin + chunk, last));
  }
}


}  // namespace

std::vector<double> build_cost_template(MPI_Comm comm, const Architecture& arch, const PolytopeLayout& layout) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  std::vector<double> cost(static_cast<std::size_t>(layout.B));
  const SampleRange mine = SampleRange::of_rank(layout.B, rank, ranks);  // the same balanced split, over j
  compute_cost_template(arch, layout, mine.first, std::span<double>(cost).subspan(mine.first, mine.count));
  std::vector<MPI_Count> counts(ranks), displs(ranks);
  for (int r = 0; r < ranks; ++r) {
    const SampleRange range = SampleRange::of_rank(layout.B, r, ranks);
    counts[r] = range.count;
    displs[r] = range.first;
  }
  // MPI 4's large-count variant is not in Open MPI 4.1; fall back to chunked broadcasts past 2^31.
  if (layout.B < (std::int64_t{1} << 31)) {
    std::vector<int> c(ranks), d(ranks);
    for (int r = 0; r < ranks; ++r) {
      c[r] = static_cast<int>(counts[r]);
      d[r] = static_cast<int>(displs[r]);
    }
    LPNN_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, cost.data(), c.data(), d.data(), MPI_DOUBLE, comm));
  } else {
    for (int r = 0; r < ranks; ++r)
      for (MPI_Count done = 0; done < counts[r];) {
        const int n = static_cast<int>(std::min<MPI_Count>(counts[r] - done, 1 << 30));
        LPNN_MPI(MPI_Bcast(cost.data() + displs[r] + done, n, MPI_DOUBLE, r, comm));
        done += n;
      }
  }
  return cost;
}

OwnedMat assemble_matrix(MPI_Comm comm, const PolytopeLayout& layout, const CsrBlock<PetscInt>& block) {
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  const LocalPart part = LocalPart::of_rank(layout, rank, ranks);
  if (block.row_begin != part.row_begin || block.rows() != part.row_end - part.row_begin)
    fail("assemble_matrix: the block holds rows [{}, {}) but rank {} owns [{}, {})", block.row_begin,
         block.row_begin + block.rows(), rank, part.row_begin, part.row_end);
  const PetscInt local_rows = static_cast<PetscInt>(part.row_end - part.row_begin);
  // Exact preallocation from the CSR itself: entries inside the owned column range are "diagonal".
  std::vector<PetscInt> diagonal(local_rows), off_diagonal(local_rows);
  for (PetscInt r = 0; r < local_rows; ++r) {
    PetscInt d = 0;
    for (PetscInt k = block.row_pointer[r]; k < block.row_pointer[r + 1]; ++k)
      d += (block.columns[k] >= part.column_begin && block.columns[k] < part.column_end) ? 1 : 0;
    diagonal[r] = d;
    off_diagonal[r] = block.row_pointer[r + 1] - block.row_pointer[r] - d;
  }
  OwnedMat A;
  LPNN_PETSC(MatCreate(comm, A.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(A.get()), "A"));
  LPNN_PETSC(MatSetSizes(A, local_rows, static_cast<PetscInt>(part.column_end - part.column_begin), layout.rows,
                         layout.cols));
  LPNN_PETSC(MatSetType(A, MATMPIAIJ));
  LPNN_PETSC(MatMPIAIJSetPreallocation(A, 0, diagonal.data(), 0, off_diagonal.data()));
  LPNN_PETSC(MatSetOption(A, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  LPNN_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  LPNN_PETSC(MatSetOption(A, MAT_SORTED_FULL, PETSC_TRUE));
  for (PetscInt r = 0; r < local_rows; ++r) {
    const PetscInt row = static_cast<PetscInt>(part.row_begin) + r;
    const PetscInt begin = block.row_pointer[r];
    LPNN_PETSC(MatSetValues(A, 1, &row, block.row_pointer[r + 1] - begin, block.columns.data() + begin,
                            block.values.data() + begin, INSERT_VALUES));
  }
  LPNN_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  LPNN_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  MatInfo info;
  LPNN_PETSC(MatGetInfo(A, MAT_GLOBAL_SUM, &info));
  if (info.mallocs != 0) fail("internal: assembly needed {} mallocs despite exact preallocation", info.mallocs);
  return A;
}

void assemble_in_place(MPI_Comm comm, const PolytopeLayout& layout, AssembledMatrix& assembled) {
  SplitCsr<PetscInt>& s = assembled.storage;
  LPNN_PETSC(MatCreateMPIAIJWithSplitArrays(
      comm, static_cast<PetscInt>(s.rows), static_cast<PetscInt>(s.column_end - s.column_begin), layout.rows,
      layout.cols, s.diagonal_row.get(), s.diagonal_column.get(), s.diagonal_value.get(), s.off_row.get(),
      s.off_column.get(), s.off_value.get(), assembled.matrix.out()));
  LPNN_PETSC(PetscObjectSetName(reinterpret_cast<PetscObject>(assembled.matrix.get()), "A"));
}

void extract_rows(Mat A, std::int64_t begin, std::int64_t end, CsrBlock<PetscInt>& out) {
  // MATMPIAIJ keeps a rank's rows as two SeqAIJ blocks: owned columns (local indices) and the others
  // (compacted indices, mapped back by garray). A global row is: off-diagonal entries left of the
  // owned range, the diagonal block's entries, then off-diagonal entries right of it.
  Mat diagonal, off;
  const PetscInt* garray = nullptr;
  LPNN_PETSC(MatMPIAIJGetSeqAIJ(A, &diagonal, &off, &garray));
  PetscInt row_start = 0, row_stop = 0, column_start = 0, column_stop = 0;
  LPNN_PETSC(MatGetOwnershipRange(A, &row_start, &row_stop));
  LPNN_PETSC(MatGetOwnershipRangeColumn(A, &column_start, &column_stop));
  if (begin < row_start || end > row_stop || begin > end)
    fail("extract_rows: rows [{}, {}) are not within this rank's [{}, {})", begin, end, row_start, row_stop);
  PetscInt nd = 0, no = 0;
  const PetscInt *di, *dj, *oi, *oj;
  PetscBool done_d = PETSC_FALSE, done_o = PETSC_FALSE;
  LPNN_PETSC(MatGetRowIJ(diagonal, 0, PETSC_FALSE, PETSC_FALSE, &nd, &di, &dj, &done_d));
  LPNN_PETSC(MatGetRowIJ(off, 0, PETSC_FALSE, PETSC_FALSE, &no, &oi, &oj, &done_o));
  const PetscScalar *dv, *ov;
  LPNN_PETSC(MatSeqAIJGetArrayRead(diagonal, &dv));
  LPNN_PETSC(MatSeqAIJGetArrayRead(off, &ov));
  const PetscInt first = static_cast<PetscInt>(begin - row_start), last = static_cast<PetscInt>(end - row_start);
  const std::int64_t nnz = (di[last] - di[first]) + (oi[last] - oi[first]);
  out.row_begin = begin;
  out.row_pointer.resize(static_cast<std::size_t>(last - first + 1));
  out.columns.resize(static_cast<std::size_t>(nnz));
  out.values.resize(static_cast<std::size_t>(nnz));
  std::int64_t k = 0;
  out.row_pointer[0] = 0;
  for (PetscInt r = first; r < last; ++r) {
    PetscInt q = oi[r];
    for (; q < oi[r + 1] && garray[oj[q]] < column_start; ++q) {
      out.columns[k] = garray[oj[q]];
      out.values[k++] = ov[q];
    }
    for (PetscInt p = di[r]; p < di[r + 1]; ++p) {
      out.columns[k] = dj[p] + column_start;
      out.values[k++] = dv[p];
    }
    for (; q < oi[r + 1]; ++q) {
      out.columns[k] = garray[oj[q]];
      out.values[k++] = ov[q];
    }
    out.row_pointer[r - first + 1] = static_cast<PetscInt>(k);
  }
  LPNN_PETSC(MatSeqAIJRestoreArrayRead(diagonal, &dv));
  LPNN_PETSC(MatSeqAIJRestoreArrayRead(off, &ov));
  LPNN_PETSC(MatRestoreRowIJ(diagonal, 0, PETSC_FALSE, PETSC_FALSE, &nd, &di, &dj, &done_d));
  LPNN_PETSC(MatRestoreRowIJ(off, 0, PETSC_FALSE, PETSC_FALSE, &no, &oi, &oj, &done_o));
}

BuildReport build_polytope(MPI_Comm comm, const Architecture& arch, const Plan& plan, const BuildOptions& options) {
  if (!plan.refusal.empty()) throw CollectiveError("refused: " + plan.refusal);
  int rank = 0, ranks = 1;
  LPNN_MPI(MPI_Comm_rank(comm, &rank));
  LPNN_MPI(MPI_Comm_size(comm, &ranks));
  const PolytopeLayout& layout = plan.layout;
  const auto start = std::chrono::steady_clock::now();
  BuildReport report;
  report.layout = layout;
  report.ranks = ranks;
  report.streaming = options.streaming;

  // 1. Refuse a bad output path before any work, the same way on every rank.
  std::string path_error;
  if (rank == 0) {
    try {
      check_output_path(options.output, options.force);
    } catch (const Error& e) {
      path_error = e.what();
    }
  }
  throw_if_root_failed(comm, path_error);

  BuildStages stages;
  const LocalPart part = LocalPart::of_rank(layout, rank, ranks);

  // 2. Cost template, computed in parallel and shared by all ranks.
  std::vector<double> cost;
  {
    StageTimer timer(stages.cost_template, report.template_seconds);
    cost = build_cost_template(comm, arch, layout);
  }

  PolytopeWriter writer(comm, options.output, {arch, layout, plan.lipschitz_bmp, plan.lipschitz_numeric});
  Progress progress(options.progress && rank == 0, part.row_end - part.row_begin);

  // 3. Assembled mode: the rank's rows generated once, straight into the arrays PETSc's MATMPIAIJ
  // uses in place (no copy, no MatSetValues); the file is then written from the matrix.
  AssembledMatrix assembled;
  if (!options.streaming) {
    {
      StageTimer timer(stages.generate, report.generate_seconds);
      generate_split_rows(layout, part.row_begin, part.row_end, part.column_begin, part.column_end, assembled.storage);
    }
    StageTimer timer(stages.assemble, report.assemble_seconds);
    assemble_in_place(comm, layout, assembled);
    MatInfo info;
    LPNN_PETSC(MatGetInfo(assembled.matrix, MAT_GLOBAL_SUM, &info));
    report.assembly_mallocs = info.mallocs;
  }

  // 4. Rows to the file in bounded chunks: from the matrix (assembled) or generated on the fly
  // (streaming).
  const std::int64_t per_row = std::max<std::int64_t>(1, layout.nnz_per_sample() / layout.rows_per_sample());
  CsrBlock<PetscInt> block;
  for_each_chunk(comm, part.row_begin, part.row_end, std::max<std::int64_t>(1, options.chunk_nonzeros / per_row),
                 [&](std::int64_t begin, std::int64_t end) {
                   if (options.streaming) {
                     StageTimer timer(stages.generate, report.generate_seconds);
                     generate_rows(layout, begin, end, block);
                   } else {
                     StageTimer timer(stages.write, report.write_seconds);
                     extract_rows(assembled.matrix, begin, end, block);
                   }
                   StageTimer timer(stages.write, report.write_seconds);
                   writer.write_rows(block);
                   progress.update(end - part.row_begin);
                 });
  block = CsrBlock<PetscInt>();
  assembled = AssembledMatrix();
  {
    StageTimer timer(stages.write, report.write_seconds);
    std::vector<double> rhs(static_cast<std::size_t>(part.row_end - part.row_begin));
    generate_rhs(layout, part.row_begin, rhs);
    writer.write_rhs(part.row_begin, rhs);
    // The objective in chunks too: λ_R·R(θ(a)) on X (rank 0), c[j]/D on each owned bag.
    const double weight = 1.0 / static_cast<double>(layout.D);
    std::vector<double> objective;
    // At least 64 Ki entries (512 KiB) per write, so that tiny row chunks do not mean one collective
    // write per column.
    for_each_chunk(comm, part.column_begin, part.column_end, std::max<std::int64_t>(1 << 16, options.chunk_nonzeros),
                   [&](std::int64_t begin, std::int64_t end) {
                     objective.resize(static_cast<std::size_t>(end - begin));
                     for (std::int64_t column = begin; column < end;) {
                       const std::int64_t k = column - begin;
                       if (column < layout.M) {
                         const std::int64_t stop = std::min(end, layout.M);
                         compute_regularizer_costs(arch, layout, column,
                                                   std::span<double>(objective).subspan(k, stop - column));
                         column = stop;
                       } else {
                         objective[k] = cost[(column - layout.M) % layout.B] * weight;
                         ++column;
                       }
                     }
                     writer.write_objective(begin, objective);
                   });
    const SampleRange share = SampleRange::of_rank(layout.B, rank, ranks);
    writer.write_template(share.first, std::span<const double>(cost).subspan(share.first, share.count));
  }
  std::int64_t local_bytes = writer.bytes_written();
  LPNN_MPI(MPI_Allreduce(&local_bytes, &report.bytes_written, 1, MPI_INT64_T, MPI_SUM, comm));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  LPNN_MPI(MPI_Bcast(&seconds, 1, MPI_DOUBLE, 0, comm));
  {
    StageTimer timer(stages.write, report.write_seconds);
    writer.commit({{"lpnn_version", LPNN_VERSION},
                   {"ranks", static_cast<std::int64_t>(ranks)},
                   {"mode", options.streaming ? "streaming" : "assembled"},
                   {"created_utc", utc_timestamp()},
                   {"build_seconds", seconds}});
  }
  report.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The slowest rank decides the wall time of each stage.
  for (double* t : {&report.template_seconds, &report.generate_seconds, &report.assemble_seconds,
                    &report.write_seconds, &report.total_seconds})
    LPNN_MPI(MPI_Allreduce(MPI_IN_PLACE, t, 1, MPI_DOUBLE, MPI_MAX, comm));
  return report;
}

nlohmann::json BuildReport::to_json() const {
  const double gen = generate_seconds + assemble_seconds;
  return {{"rows", layout.rows},
          {"columns", layout.cols},
          {"nonzeros", layout.nnz},
          {"ranks", ranks},
          {"mode", streaming ? "streaming" : "assembled"},
          {"seconds", {{"template", template_seconds}, {"generate", generate_seconds}, {"assemble", assemble_seconds},
                       {"write", write_seconds}, {"total", total_seconds}}},
          {"nonzeros_per_second_per_rank", gen > 0 ? static_cast<double>(layout.nnz) / gen / ranks : 0.0},
          {"bytes_written", bytes_written},
          {"write_mb_per_second", write_seconds > 0 ? static_cast<double>(bytes_written) / 1e6 / write_seconds : 0.0}};
}

std::string BuildReport::to_text() const {
  const nlohmann::json j = to_json();
  std::string s = fmt::format("built {} x {} polytope, {} nonzeros, on {} rank(s), {} mode\n", layout.rows, layout.cols,
                              layout.nnz, ranks, streaming ? "streaming" : "assembled");
  s += fmt::format("  template {:.3f} s, generate {:.3f} s, assemble {:.3f} s, write {:.3f} s, total {:.3f} s\n",
                   template_seconds, generate_seconds, assemble_seconds, write_seconds, total_seconds);
  s += fmt::format("  {:.3g} nonzeros/s per rank (generate + assemble), {} written at {:.1f} MB/s\n",
                   j["nonzeros_per_second_per_rank"].get<double>(), human_bytes(static_cast<double>(bytes_written)),
                   j["write_mb_per_second"].get<double>());
  return s;
}

}  // namespace lpnn
