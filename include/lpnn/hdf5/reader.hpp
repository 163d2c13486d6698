// Reading a polytope file: its metadata checked against its datasets, whole datasets, and /A through
// PETSc's MatLoad on any number of ranks.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

#include "lpnn/hdf5/format.hpp"
#include "lpnn/util/petsc.hpp"

namespace lpnn {

// Which bag families a reader interprets: the star only (export: it reads the star's columns, face and
// template) or any (sizes, checksums, MatLoad, resuming a build, training and load_polytope, whose faces
// know both families).
enum class Families { StarOnly, Any };

// Checks `path` is a complete lpnn polytope file of a format version this lpnn writes, of a family
// `families` admits, whose sizes agree with its spec (and, for a chain, its node grid) and datasets;
// throws lpnn::Error saying what is wrong otherwise (a chain file for a star-only reader: what it is,
// why it is refused, what to do). Any rank, no communication.
PolytopeMetadata read_polytope_metadata(const std::string& path, Families families = Families::StarOnly);

// A version-2 file's /family/description (JSON text), its checksum checked; throws lpnn::Error for a
// star file or a damaged dataset. Call read_polytope_metadata first to validate it against the spec.
std::string read_family_description(const std::string& path);

// A whole 1-D dataset (e.g. "/template/cost") read on the calling rank.
std::vector<double> read_double_dataset(const std::string& path, const std::string& dataset);

// /A loaded with PETSc's MatLoad on `comm` (any number of ranks), checked against the metadata sizes.
OwnedMat load_constraint_matrix(MPI_Comm comm, const std::string& path, const PolytopeLayout& layout);

}  // namespace lpnn
