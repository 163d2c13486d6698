# cmake --install BUILD --prefix P: the library, the public headers, the tools, the CMake package
# (find_package(lpnn) -> lpnn::lpnn) and a pkg-config file. Included last from the top-level CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LPNN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/lpnn)

install(TARGETS lpnn EXPORT lpnnTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lpnn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS lpnn-build lpnn-info lpnn-train lpnn-predict lpnn-export RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT lpnnTargets NAMESPACE lpnn:: DESTINATION ${LPNN_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lpnnConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/lpnnConfig.cmake INSTALL_DESTINATION ${LPNN_INSTALL_CMAKEDIR}
                              PATH_VARS CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lpnnConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lpnnConfig.cmake ${PROJECT_BINARY_DIR}/lpnnConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/lpnnDependencies.cmake DESTINATION ${LPNN_INSTALL_CMAKEDIR})

# pkg-config: relocatable (${pcfiledir}), since `cmake --install --prefix` picks the prefix after configuring.
file(RELATIVE_PATH LPNN_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
# MPI's own pkg-config module where it has one (Open MPI: ompi-cxx; MPICH: mpich); else compile with mpicxx.
set(LPNN_PC_MPI "")
foreach(module ompi-cxx mpich)
  pkg_check_modules(LPNN_PC_MPI_${module} QUIET ${module})
  if(LPNN_PC_MPI_${module}_FOUND AND NOT LPNN_PC_MPI)
    set(LPNN_PC_MPI ${module})
  endif()
endforeach()
set(LPNN_PC_REQUIRES "${LPNN_PC_MPI} ${LPNN_PETSC_MODULE} hdf5-openmpi clp zlib libisal fmt nlohmann_json eigen3")
configure_file(${PROJECT_SOURCE_DIR}/cmake/lpnn.pc.in ${PROJECT_BINARY_DIR}/lpnn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lpnn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
