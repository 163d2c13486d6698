// lpnn: the data-independent training polytopes of neural networks, built, stored and solved.
// One header for everything, stage by stage in the order the data flows:
//   spec -> grids and cost template -> per-sample bag blocks -> PETSc Mat -> HDF5
//   HDF5 -> Mat -> face -> solver -> model
//   (high-dimensional data: filtered PCA -> reduced data -> the above -> a model that takes raw x)
#pragma once

// Errors, MPI agreement, PETSc handles, logging.
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/json_integer.hpp"
#include "lpnn/util/log.hpp"
#include "lpnn/util/mpi.hpp"
#include "lpnn/util/petsc.hpp"
#include "lpnn/util/phase.hpp"
#include "lpnn/util/progress.hpp"
#include "lpnn/util/provenance.hpp"
#include "lpnn/util/units.hpp"
#include "lpnn/util/workers.hpp"

// The network: spec, grids, Lipschitz bounds.
#include "lpnn/arch/architecture.hpp"
#include "lpnn/arch/grid.hpp"
#include "lpnn/arch/lipschitz.hpp"

// The polytope: layout, cost template, per-sample bag blocks, planner.
#include "lpnn/bags/chain_family.hpp"
#include "lpnn/bags/cost_template.hpp"
#include "lpnn/bags/family.hpp"
#include "lpnn/bags/generator.hpp"
#include "lpnn/bags/layout.hpp"
#include "lpnn/bags/planner.hpp"
#include "lpnn/bags/sample_block.hpp"
#include "lpnn/bags/star_family.hpp"

// The distributed build.
#include "lpnn/distribute/assembly.hpp"
#include "lpnn/distribute/builder.hpp"
#include "lpnn/distribute/distribution.hpp"
#include "lpnn/distribute/start.hpp"
#include "lpnn/distribute/write_steps.hpp"

// The polytope file.
#include "lpnn/hdf5/checksum.hpp"
#include "lpnn/hdf5/chunk_writer.hpp"
#include "lpnn/hdf5/fast_deflate.hpp"
#include "lpnn/hdf5/format.hpp"
#include "lpnn/hdf5/handles.hpp"
#include "lpnn/hdf5/paths.hpp"
#include "lpnn/hdf5/reader.hpp"
#include "lpnn/hdf5/writer.hpp"

// Data sets, faces, solvers, models.
#include "lpnn/solve/adam.hpp"
#include "lpnn/solve/dataset.hpp"
#include "lpnn/solve/evaluate.hpp"
#include "lpnn/solve/face.hpp"
#include "lpnn/solve/grid_search.hpp"
#include "lpnn/solve/load.hpp"
#include "lpnn/solve/lp.hpp"
#include "lpnn/solve/model.hpp"
#include "lpnn/solve/mps.hpp"
#include "lpnn/solve/rounded.hpp"
#include "lpnn/solve/solver.hpp"
#include "lpnn/solve/trainer.hpp"

// Dimension reduction before training: filtered PCA and the map it finds.
#include "lpnn/reduce/chunked_sum.hpp"
#include "lpnn/reduce/filtered_pca.hpp"
#include "lpnn/reduce/reduction.hpp"
#include "lpnn/reduce/statistics.hpp"
