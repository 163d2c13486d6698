# The libraries lpnn's public target carries, as imported targets lpnn::PETSc, lpnn::HDF5, lpnn::Clp,
# lpnn::ZLIB and lpnn::ISAL. One file for both sides: the build includes it from the top-level
# CMakeLists.txt, and the installed lpnnConfig.cmake includes its installed copy, so a consumer links
# exactly what lpnn was built against (a different PETSc, or one with another PetscInt width, would not
# be ABI-compatible).
#
# PETSc, in this order:
#   1. LPNN_PETSC_PKGCONFIG_DIR + LPNN_PETSC_MODULE already set (the installed config sets both to the
#      values lpnn was built with);
#   2. PETSC_DIR (and PETSC_ARCH) in the environment or the cache: PETSc's own pkg-config file in
#      $PETSC_DIR/$PETSC_ARCH/lib/pkgconfig, as PETSc's documentation recommends for CMake projects;
#   3. pkg-config's search path: module PETSc64 (LPNN_PETSC_64BIT_INDICES, the default) or PETSc.
# The PetscInt width is then read from PETSc's configuration (petscconf.h, PETSC_USE_64BIT_INDICES), not
# implied by the module's name, and recorded in LPNN_PETSC_INT_BITS.
include_guard(GLOBAL)
find_package(PkgConfig REQUIRED)

if(NOT LPNN_PETSC_MODULE)
  set(_lpnn_petsc_dir "${PETSC_DIR}")
  set(_lpnn_petsc_arch "${PETSC_ARCH}")
  if(NOT _lpnn_petsc_dir AND DEFINED ENV{PETSC_DIR})
    set(_lpnn_petsc_dir "$ENV{PETSC_DIR}")
    set(_lpnn_petsc_arch "$ENV{PETSC_ARCH}")
  endif()
  if(_lpnn_petsc_dir)
    set(LPNN_PETSC_PKGCONFIG_DIR "${_lpnn_petsc_dir}/${_lpnn_petsc_arch}/lib/pkgconfig")
    set(LPNN_PETSC_MODULE PETSc)
    if(NOT EXISTS "${LPNN_PETSC_PKGCONFIG_DIR}/PETSc.pc")
      message(FATAL_ERROR "PETSC_DIR=${_lpnn_petsc_dir} PETSC_ARCH=${_lpnn_petsc_arch}: no PETSc.pc in "
                          "${LPNN_PETSC_PKGCONFIG_DIR}; check both variables (unset them to use pkg-config's PETSc)")
    endif()
  elseif(LPNN_PETSC_64BIT_INDICES OR NOT DEFINED LPNN_PETSC_64BIT_INDICES)
    set(LPNN_PETSC_MODULE PETSc64)
  else()
    set(LPNN_PETSC_MODULE PETSc)
  endif()
endif()

set(_lpnn_saved_pkg_path "$ENV{PKG_CONFIG_PATH}")
if(LPNN_PETSC_PKGCONFIG_DIR)
  set(ENV{PKG_CONFIG_PATH} "${LPNN_PETSC_PKGCONFIG_DIR}:$ENV{PKG_CONFIG_PATH}")
endif()
pkg_check_modules(LPNN_PETSC REQUIRED ${LPNN_PETSC_MODULE})
set(ENV{PKG_CONFIG_PATH} "${_lpnn_saved_pkg_path}")
pkg_check_modules(LPNN_HDF5 REQUIRED hdf5-openmpi)
pkg_check_modules(LPNN_CLP REQUIRED clp)
pkg_check_modules(LPNN_ZLIB REQUIRED zlib)
pkg_check_modules(LPNN_ISAL REQUIRED libisal)  # ISA-L: deflate and CRC-32 (hdf5/fast_deflate.hpp)

# The PetscInt width from petscconf.h: lpnn's index arithmetic and the file's int64 datasets depend on it.
find_file(LPNN_PETSCCONF_H petscconf.h PATHS ${LPNN_PETSC_INCLUDE_DIRS} NO_DEFAULT_PATH NO_CACHE)
if(NOT LPNN_PETSCCONF_H)
  message(FATAL_ERROR "petscconf.h not found in ${LPNN_PETSC_MODULE}'s include directories "
                      "(${LPNN_PETSC_INCLUDE_DIRS}): cannot tell PetscInt's width")
endif()
file(STRINGS "${LPNN_PETSCCONF_H}" _lpnn_64 REGEX "^#define PETSC_USE_64BIT_INDICES 1")
if(_lpnn_64)
  set(LPNN_PETSC_INT_BITS 64)
else()
  set(LPNN_PETSC_INT_BITS 32)
endif()
if(DEFINED LPNN_PETSC_64BIT_INDICES AND NOT LPNN_PETSC_PKGCONFIG_DIR)
  if(LPNN_PETSC_64BIT_INDICES AND NOT LPNN_PETSC_INT_BITS EQUAL 64)
    message(FATAL_ERROR "${LPNN_PETSC_MODULE} (${LPNN_PETSCCONF_H}) has 32-bit PetscInt but LPNN_PETSC_64BIT_INDICES "
                        "is ON; install petsc64-dev or configure with -DLPNN_PETSC_64BIT_INDICES=OFF")
  endif()
endif()

# Imported targets (not GLOBAL: each includer gets its own, as find modules do).
function(_lpnn_imported name prefix)
  if(TARGET ${name})
    return()
  endif()
  add_library(${name} INTERFACE IMPORTED)
  # Full paths of the libraries pkg-config names, so that nothing depends on the link directories.
  set(libs "")
  foreach(lib IN LISTS ${prefix}_LIBRARIES)
    find_library(_lpnn_lib_${lib} NAMES ${lib} HINTS ${${prefix}_LIBRARY_DIRS} NO_CACHE)
    if(_lpnn_lib_${lib})
      list(APPEND libs "${_lpnn_lib_${lib}}")
    else()
      list(APPEND libs "${lib}")
    endif()
    unset(_lpnn_lib_${lib})
  endforeach()
  set_target_properties(${name} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${${prefix}_INCLUDE_DIRS}"
                                           INTERFACE_LINK_LIBRARIES "${libs}"
                                           INTERFACE_COMPILE_OPTIONS "${${prefix}_CFLAGS_OTHER}")
endfunction()
_lpnn_imported(lpnn::PETSc LPNN_PETSC)
_lpnn_imported(lpnn::HDF5 LPNN_HDF5)
_lpnn_imported(lpnn::Clp LPNN_CLP)
_lpnn_imported(lpnn::ZLIB LPNN_ZLIB)
_lpnn_imported(lpnn::ISAL LPNN_ISAL)
