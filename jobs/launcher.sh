# Sourced by the job scripts: the MPI launcher for N ranks, as the array MPI (and MPI1 for one rank).
#
#   LPNN_LAUNCHER      auto (default), srun or mpirun.
#                      auto: srun inside a Slurm job whose MPI plugin is configured (scontrol's MpiDefault
#                      is not "none", or LPNN_SRUN_MPI names one), else mpirun (Slurm's allocation reaches
#                      Open MPI's mpirun through its own Slurm support).
#   LPNN_SRUN_MPI      srun --mpi=VALUE (e.g. pmix) when Slurm's MpiDefault is none.
#   LPNN_MPIRUN        the mpirun command (default: mpirun).
#   LPNN_MPIRUN_ARGS   extra launcher arguments (default: none).
#   LPNN_OVERSUBSCRIBE 1: mpirun --oversubscribe, for more ranks than cores outside a Slurm allocation
#                      (default 0: asked for, never assumed).
# In a job with --cpus-per-task=N > 1, mpirun gets --map-by slot:PE=N (each rank bound to its N CPUs,
# which a compressed build's chunk filter threads use), unless LPNN_MPIRUN_ARGS maps or binds itself:
# mpirun's own default binds 1 or 2 ranks to one core each, whatever Slurm allocated. srun gives each
# task its CPUs by itself.
lpnn_launcher() {
    local ntasks=$1 kind=${LPNN_LAUNCHER:-auto} mpi_default=
    local -a extra
    read -r -a extra <<<"${LPNN_MPIRUN_ARGS:-}"
    if [[ $kind == auto ]]; then
        kind=mpirun
        if [[ -n ${SLURM_JOB_ID:-} ]] && command -v srun >/dev/null; then
            mpi_default=$(scontrol show config 2>/dev/null | awk '$1 == "MpiDefault" {print $3}')
            if [[ -n ${LPNN_SRUN_MPI:-} || (-n $mpi_default && $mpi_default != none) ]]; then kind=srun; fi
        fi
    fi
    case $kind in
        srun)
            MPI=(srun -n "$ntasks" ${LPNN_SRUN_MPI:+--mpi=$LPNN_SRUN_MPI} "${extra[@]}")
            MPI1=(srun -n 1 ${LPNN_SRUN_MPI:+--mpi=$LPNN_SRUN_MPI} "${extra[@]}")
            ;;
        mpirun)
            local cpus=${SLURM_CPUS_PER_TASK:-1}
            if [[ -n ${SLURM_JOB_ID:-} && $cpus =~ ^[0-9]+$ && $cpus -gt 1 &&
                " ${extra[*]} " != *" --map-by "* && " ${extra[*]} " != *" --bind-to "* ]]; then
                extra=(--map-by "slot:PE=$cpus" "${extra[@]}")
            fi
            MPI=("${LPNN_MPIRUN:-mpirun}" -n "$ntasks")
            [[ ${LPNN_OVERSUBSCRIBE:-0} == 1 ]] && MPI+=(--oversubscribe)
            MPI+=("${extra[@]}")
            MPI1=("${LPNN_MPIRUN:-mpirun}" -n 1 "${extra[@]}")
            ;;
        *)
            echo "LPNN_LAUNCHER must be auto, srun or mpirun, not '$kind'" >&2
            return 2
            ;;
    esac
    echo "launcher: ${MPI[*]}"
}
