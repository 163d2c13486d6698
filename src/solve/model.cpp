#include "lpnn/solve/model.hpp"

#include <cstdio>

#include "lpnn/solve/evaluate.hpp"
#include "lpnn/util/error.hpp"
#include "lpnn/util/files.hpp"
#include "lpnn/util/json_integer.hpp"

namespace lpnn {

nlohmann::json Model::to_json() const {
  nlohmann::json j{{"format", kModelFormat},
                   {"format_version", kModelFormatVersion},
                   {"architecture", arch.to_json()},
                   {"parameters", parameters},
                   {"grid", {{"param", grid.param}, {"input", grid.input}, {"output", grid.output}}},
                   {"scaling", scaling ? scaling->to_json() : nlohmann::json(nullptr)}};
  j["semantics"] = rounded_node_grid ? "rounded" : "network";
  if (rounded_node_grid) j["node_grid"] = *rounded_node_grid;
  if (reduction) j["reduction"] = reduction->to_json();
  for (const auto& item : report.items()) j[item.key()] = item.value();
  return j;
}

namespace {

// A damaged model's scaling vectors would be read out of bounds by predict(): their lengths must be
// the architecture's input and output counts.
void check_scaling_lengths(const MinMaxScaling& s, const Architecture& arch, const std::string& origin) {
  const std::pair<const std::vector<double>*, std::pair<const char*, std::int64_t>> vectors[] = {
      {&s.input_min, {"input_min", arch.inputs()}},
      {&s.input_max, {"input_max", arch.inputs()}},
      {&s.output_min, {"output_min", arch.outputs()}},
      {&s.output_max, {"output_max", arch.outputs()}}};
  for (const auto& [values, expected] : vectors)
    if (static_cast<std::int64_t>(values->size()) != expected.second)
      fail("{}: scaling.{} has {} entries, but the architecture needs {}; the model file is damaged, train it again",
           origin, expected.first, values->size(), expected.second);
}

// "semantics" (absent in files written before it existed: the network) and, when rounded, the node
// grid, checked by building the rounded network once (a bad node grid is refused here, not at predict).
void read_semantics(const nlohmann::json& j, const std::string& origin, Model& model) {
  const std::string semantics = j.contains("semantics") ? j.at("semantics").get<std::string>() : "network";
  if (semantics == "network") return;
  if (semantics != "rounded")
    fail("{}: \"semantics\" is \"{}\", but this lpnn knows \"network\" and \"rounded\"; the model file is damaged",
         origin, semantics);
  if (!j.contains("node_grid"))
    fail("{}: a model of rounded semantics needs \"node_grid\"; the model file is damaged, train it again", origin);
  model.rounded_node_grid = json_integer(j.at("node_grid"), origin + ": \"node_grid\"");
  try {
    (void)model.rounded_network();
  } catch (const Error& e) {
    fail("{}: its node grid is unusable: {}", origin, e.what());
  }
}

}  // namespace

RoundedNetwork Model::rounded_network() const {
  if (!rounded_node_grid) fail("the model has the network's semantics, not the rounded network's");
  return RoundedNetwork(arch, grid, *rounded_node_grid);
}

Model Model::from_json(const nlohmann::json& j, const std::string& origin) {
  try {
    return from_json_checked(j, origin);
  } catch (const nlohmann::json::exception& e) {  // a field of the wrong type
    fail("{}: malformed model: {}", origin, e.what());
  }
}

Model Model::from_json_checked(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object() || j.value("format", "") != kModelFormat)
    fail("{} is not an lpnn model file (no \"format\": \"{}\")", origin, kModelFormat);
  const nlohmann::json version = j.contains("format_version") ? j.at("format_version") : nlohmann::json(0);
  if (!version.is_number_integer())
    fail("{}: malformed model: \"format_version\" must be an integer, got {}", origin, version.dump());
  if (version != kModelFormatVersion)
    fail("{} has model format version {}, this lpnn reads {}", origin, version.dump(), kModelFormatVersion);
  Model model;
  try {
    model.arch = Architecture::from_json(j.at("architecture"));
    j.at("parameters").get_to(model.parameters);
    const auto grid = [&](const char* key) {
      return json_integer(j.at("grid").at(key), fmt::format("{}: grid.{}", origin, key));
    };
    model.grid = {grid("param"), grid("input"), grid("output")};
    if (!j.at("scaling").is_null()) model.scaling = MinMaxScaling::from_json(j.at("scaling"));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: malformed model: {}", origin, e.what());
  }
  read_semantics(j, origin, model);
  if (static_cast<std::int64_t>(model.parameters.size()) != model.arch.parameters())
    fail("{}: {} parameters, but the architecture has {}", origin, model.parameters.size(), model.arch.parameters());
  if (model.scaling) check_scaling_lengths(*model.scaling, model.arch, origin);
  if (j.contains("reduction") && !j.at("reduction").is_null())
    model.attach_reduction(Reduction::from_json(j.at("reduction"), origin + " (reduction)"), origin);
  for (const char* key : {"method", "losses", "solver", "provenance"})
    if (j.contains(key)) model.report[key] = j.at(key);
  return model;
}

Model Model::from_file(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path, "model file"));
  } catch (const nlohmann::json::exception& e) {  // malformed text, or a number beyond double's range
    fail("{} is not a JSON model file: {}", path, e.what());
  }
  return from_json(j, path);
}

void Model::write(const std::string& path) const { write_file_replacing(path, to_json().dump(2) + '\n', "model file"); }

void Model::attach_reduction(Reduction red, const std::string& origin) {
  if (red.rank() != arch.inputs())
    fail(
        "{}: the basis keeps {} directions, but the network has {} inputs; build the polytope for n = {} inputs "
        "(the columns of the reduced data before the labels)",
        origin, red.rank(), arch.inputs(), red.rank());
  reduction = std::move(red);
}

std::vector<double> Model::predict(const Dataset& given) const {
  const Dataset raw = reduction ? reduction->apply(given) : given;
  const Dataset data = scaling ? scaling->apply(raw) : raw;
  std::vector<double> out(static_cast<std::size_t>(data.samples * arch.outputs()));
  const std::optional<RoundedNetwork> rounded =
      rounded_node_grid ? std::optional<RoundedNetwork>(rounded_network()) : std::nullopt;
  for (std::int64_t d = 0; d < data.samples; ++d) {
    std::span<double> z(out.data() + d * arch.outputs(), static_cast<std::size_t>(arch.outputs()));
    if (rounded)
      rounded->evaluate(data.input(d), parameters, z);
    else
      arch.evaluate<double>(data.input(d), parameters, z);
    if (scaling) scaling->unscale_outputs(z);
  }
  return out;
}

double Model::loss(const Dataset& given) const {
  const Dataset raw = reduction ? reduction->apply(given) : given;
  const Dataset data = scaling ? scaling->apply(raw) : raw;
  if (rounded_node_grid) return rounded_network().losses(parameters, data).data_loss;
  return evaluate_losses(arch, parameters, data).data_loss;
}

}  // namespace lpnn
