#include "lpnn/bags/chain_family.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lpnn/bags/star_family.hpp"
#include "lpnn/util/error.hpp"

namespace lpnn {

std::int64_t NodeGrid::round(double r) const {
  if (std::isnan(r)) fail("cannot round NaN to a node grid point");
  if (r <= -bound) return 0;
  if (r >= bound) return points - 1;
  // Ties up; the 1e-9 keeps an exact tie from falling below it through floating-point error.
  const double k = std::floor((r + bound) * static_cast<double>(points - 1) / (2.0 * bound) + 0.5 + 1e-9);
  return std::clamp(static_cast<std::int64_t>(k), std::int64_t{0}, points - 1);
}

std::vector<NodeGrid> node_grids(const Architecture& arch, const ChainOptions& options) {
  const std::int64_t n = arch.inputs();
  std::vector<NodeGrid> grids;
  std::vector<double> out_bound;  // B_v, the bound of val(v) seen by v's consumers
  for (std::size_t v = 0; v < arch.neurons().size(); ++v) {
    const Neuron& neuron = arch.neurons()[v];
    double U = neuron.bias_parameter >= 0 ? 1.0 : 0.0;
    for (const Neuron::Edge& e : neuron.in)
      U += (e.parameter >= 0 ? 1.0 : std::fabs(e.weight)) * (e.source < n ? 1.0 : out_bound[e.source - n]);
    if (!(U > 0.0)) fail("neuron {} has a zero bound: its node grid would be a single point", v);
    NodeGrid g{U, options.node_points};
    if (options.integer_nodes) {
      if (std::fabs(U - std::round(U)) > 1e-12)
        fail("neuron {} has the non-integer bound {}: an integer node grid needs integer weights", v, U);
      g.points = 2 * static_cast<std::int64_t>(std::llround(U)) + 1;
    } else if (g.points < 2) {
      fail("a node grid needs at least 2 points, got {}", g.points);
    }
    grids.push_back(g);
    const Activation a = neuron.activation;
    out_bound.push_back(a == Activation::Sign ? 1.0 : a == Activation::Tanh ? std::min(U, 1.0) : U);
  }
  return grids;
}

namespace {

// Per-sample values in the greedy search: inputs [0, n), neurons n + v.
struct ChainState {
  std::vector<std::int64_t> progress;   // in-edges done per neuron
  std::vector<std::int64_t> remaining;  // consumers not yet run, per value
  std::vector<char> read;               // inputs read at least once
};

// Π of the grid sizes of the values alive after the steps done so far.
double carried(const Architecture& arch, const std::vector<NodeGrid>& grids, const ChainOptions& options,
               const ChainState& st) {
  const std::int64_t n = arch.inputs();
  double product = 1.0;
  for (std::int64_t k = 0; k < n; ++k)
    if (st.read[k] && st.remaining[k] > 0) product *= static_cast<double>(options.grid.input);
  for (std::size_t v = 0; v < grids.size(); ++v) {
    const std::int64_t r = static_cast<std::int64_t>(arch.neurons()[v].in.size());
    const bool partial = st.progress[v] > 0 && st.progress[v] < r;
    const bool finished = st.progress[v] == r && st.remaining[n + v] > 0;
    if (partial || finished) product *= static_cast<double>(grids[v].points);
  }
  return product;
}

}  // namespace

std::vector<ChainStep> chain_order(const Architecture& arch, const std::vector<NodeGrid>& grids,
                                   const ChainOptions& options) {
  const std::int64_t n = arch.inputs(), V = static_cast<std::int64_t>(arch.neurons().size());
  if (options.order == ChainOrder::NeuronByNeuron) {
    std::vector<ChainStep> order;
    for (std::int64_t v = 0; v < V; ++v)
      for (std::size_t j = 0; j < arch.neurons()[v].in.size(); ++j) order.push_back({v, static_cast<std::int64_t>(j)});
    order.push_back({-1, -1});
    return order;
  }
  ChainState st{std::vector<std::int64_t>(V, 0), std::vector<std::int64_t>(n + V, 0), std::vector<char>(n, 0)};
  std::int64_t total = 0;
  for (const Neuron& neuron : arch.neurons())
    for (const Neuron::Edge& e : neuron.in) {
      ++st.remaining[e.source];
      ++total;
    }
  for (std::int64_t o : arch.output_neurons()) ++st.remaining[n + o];  // the loss reads every output
  std::vector<ChainStep> order;
  for (std::int64_t done = 0; done < total; ++done) {
    std::int64_t best = -1;
    double best_state = 0.0;
    for (std::int64_t v = 0; v < V; ++v) {
      const auto& in = arch.neurons()[v].in;
      if (st.progress[v] == static_cast<std::int64_t>(in.size())) continue;
      const std::int64_t src = in[st.progress[v]].source;
      if (src >= n && st.progress[src - n] < static_cast<std::int64_t>(arch.neurons()[src - n].in.size())) continue;
      ChainState next = st;
      ++next.progress[v];
      --next.remaining[src];
      if (src < n) next.read[src] = 1;
      const double state = carried(arch, grids, options, next);
      if (best < 0 || state < best_state) {
        best = v;
        best_state = state;
      }
    }
    if (best < 0) fail("the network's graph has a step that never becomes ready");
    const std::int64_t src = arch.neurons()[best].in[st.progress[best]].source;
    order.push_back({best, st.progress[best]});
    ++st.progress[best];
    --st.remaining[src];
    if (src < n) st.read[src] = 1;
  }
  order.push_back({-1, -1});
  return order;
}

namespace {

// s_i = R_v(s_{i−1} + w_i·val(u_i)) on grid indices; the last step of v returns R_v(σ_v(s_r)).
// Arguments in order: s_{i−1} (a partial sum, or the bias parameter for i = 1; absent for i = 1
// without a bias), w_i (if a parameter), val(u_i).
struct SumRule {
  bool has_prev = false, prev_is_parameter = false, weight_is_parameter = false, source_is_input = false;
  bool last = false;
  double weight = 0.0;
  Grid param{2}, input{2};
  NodeGrid node, source;
  Activation activation = Activation::Identity;
  double slope = 0.0;

  std::int64_t operator()(std::span<const std::int64_t> a) const {
    std::size_t k = 0;
    double s = 0.0;
    if (has_prev) {
      s = prev_is_parameter ? param.value(a[k]) : node.value(a[k]);
      ++k;
    }
    const double w = weight_is_parameter ? param.value(a[k++]) : weight;
    const double u = source_is_input ? input.value(a[k]) : source.value(a[k]);
    const std::int64_t sum = node.round(s + w * u);
    return last ? node.round(apply_activation(activation, slope, node.value(sum))) : sum;
  }
};

struct SampleSteps {
  std::vector<std::vector<std::int64_t>> variables;  // per step of the order: its inputs and output
  std::vector<std::int64_t> loss_variables;          // val(outputs)..., y...
};

// Sample d's variables (created at first use) and steps, in the chain's order.
SampleSteps add_sample_steps(BagFamily& f, const Architecture& arch, const std::vector<NodeGrid>& grids,
                             const ChainOptions& o, const std::vector<ChainStep>& order, std::int64_t d) {
  const std::int64_t n = arch.inputs();
  const std::vector<std::int64_t>& phi = f.bags[0].variables;
  std::vector<std::int64_t> x(n, -1), partial(grids.size(), -1), val(grids.size(), -1);
  SampleSteps out;
  for (const ChainStep& step : order) {
    if (step.neuron < 0) break;
    const std::int64_t v = step.neuron, j = step.edge;
    const Neuron& neuron = arch.neurons()[v];
    const Neuron::Edge& e = neuron.in[j];
    SumRule rule;
    rule.param = Grid(o.grid.param);
    rule.input = Grid(o.grid.input);
    rule.node = grids[v];
    std::vector<std::int64_t> in;
    if (j > 0 || neuron.bias_parameter >= 0) {
      rule.has_prev = true;
      rule.prev_is_parameter = j == 0;
      in.push_back(j == 0 ? phi[neuron.bias_parameter] : partial[v]);
    }
    rule.weight_is_parameter = e.parameter >= 0;
    rule.weight = e.weight;
    if (e.parameter >= 0) in.push_back(phi[e.parameter]);
    rule.source_is_input = e.source < n;
    if (e.source < n) {
      if (x[e.source] < 0)
        x[e.source] = f.add_variable({fmt::format("x[{}][{}]", d, e.source), VariableKind::Input, o.grid.input, d, e.source});
      in.push_back(x[e.source]);
    } else {
      rule.source = grids[e.source - n];
      in.push_back(val[e.source - n]);
    }
    rule.last = j + 1 == static_cast<std::int64_t>(neuron.in.size());
    rule.activation = neuron.activation;
    rule.slope = neuron.slope;
    const std::string name = rule.last ? fmt::format("val[{}][{}]", d, v) : fmt::format("s[{}][{}][{}]", d, v, j + 1);
    const std::int64_t output = f.add_variable({name, VariableKind::Node, grids[v].points, d});
    (rule.last ? val[v] : partial[v]) = output;
    f.steps.push_back({"step " + name, in, output, rule});
    in.push_back(output);
    out.variables.push_back(std::move(in));
  }
  for (std::int64_t o_neuron : arch.output_neurons()) out.loss_variables.push_back(val[o_neuron]);
  for (std::int64_t k = 0; k < arch.outputs(); ++k)
    out.loss_variables.push_back(f.add_variable({fmt::format("y[{}][{}]", d, k), VariableKind::Label, o.grid.output, d, k}));
  out.variables.push_back(out.loss_variables);
  return out;
}

// Bag i holds the parameters used at some step >= i (all of them in bag 0, which meets the root) and
// the sample's values whose lifetime [first use, last use] contains i, in variable order.
// The sample's variables are [sample_begin, end) (and the parameters [0, N), the root's).
void add_sample_bags(BagFamily& f, const SampleSteps& steps, std::int64_t d, std::int64_t samples,
                     std::int64_t sample_begin, const Architecture& arch, const std::vector<NodeGrid>& grids,
                     const ChainOptions& o) {
  const std::int64_t T = static_cast<std::int64_t>(steps.variables.size());
  const std::int64_t N = arch.parameters(), end = static_cast<std::int64_t>(f.variables.size());
  auto slot = [&](std::int64_t v) { return v < N ? v : N + v - sample_begin; };
  std::vector<std::int64_t> first(N + end - sample_begin, -1), last(N + end - sample_begin, -1);
  for (std::int64_t i = 0; i < T; ++i)
    for (std::int64_t v : steps.variables[i]) {
      if (first[slot(v)] < 0) first[slot(v)] = i;
      last[slot(v)] = i;
    }
  std::int64_t parent = 0;
  for (std::int64_t i = 0; i < T; ++i) {
    std::vector<std::int64_t> vars;
    for (std::int64_t v = 0; v < N; ++v)
      if (i == 0 || last[v] >= i) vars.push_back(v);
    for (std::int64_t v = sample_begin; v < end; ++v)
      if (first[slot(v)] >= 0 && first[slot(v)] <= i && i <= last[slot(v)]) vars.push_back(v);
    parent = f.add_bag({fmt::format("sample {} {}", d, i + 1 < T ? fmt::format("step {}", i + 1) : "loss"), vars, parent});
  }
  const Grid gy(o.grid.output);
  const std::int64_t m = arch.outputs();
  std::vector<NodeGrid> out_grids;
  for (std::int64_t k : arch.output_neurons()) out_grids.push_back(grids[k]);
  f.costs.push_back({fmt::format("loss of sample {}", d), steps.loss_variables, parent, 1.0 / static_cast<double>(samples),
                     [&arch, gy, m, out_grids](std::span<const std::int64_t> a) {
                       std::vector<double> z(m), eta(m);
                       for (std::int64_t k = 0; k < m; ++k) {
                         z[k] = out_grids[k].value(a[k]);
                         eta[k] = gy.value(a[m + k]);
                       }
                       return arch.loss_value<double>(z, eta);
                     }});
}

}  // namespace

BagFamily chain_family(const Architecture& arch, const ChainOptions& options, std::int64_t samples) {
  if (samples < 1) fail("a bag family needs at least one sample, got {}", samples);
  const std::vector<NodeGrid> grids = node_grids(arch, options);
  const std::vector<ChainStep> order = chain_order(arch, grids, options);
  BagFamily f = family_root(arch, options.grid, "chain");
  for (std::int64_t d = 0; d < samples; ++d) {
    const std::int64_t begin = static_cast<std::int64_t>(f.variables.size());
    const SampleSteps steps = add_sample_steps(f, arch, grids, options, order, d);
    add_sample_bags(f, steps, d, samples, begin, arch, grids, options);
  }
  return f;
}

}  // namespace lpnn
