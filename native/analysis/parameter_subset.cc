#include "analysis/parameter_subset.h"
#include <set>
#include "errors.h"

namespace pof {

namespace {

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool Matches(const Network& network, const std::string& selector, const std::string& name) {
  if (selector == "all") return true;
  if (selector == "classifier") return network.IsClassifierParameter(name);
  if (selector == "features") return !network.IsClassifierParameter(name);
  return name == selector || StartsWith(name, selector + ".");
}

// Module prefixes that own parameters directly ('layers.0', 'classifiers.0'), in model order.
std::vector<std::string> OwningModules(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    const auto dot = n.rfind('.');
    if (dot == std::string::npos) continue;
    const auto module = n.substr(0, dot);
    if (out.empty() || out.back() != module) out.push_back(module);
  }
  return out;
}

std::string ListSome(const std::vector<std::string>& items, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size() - limit) + " more)";
  return out;
}

}  // namespace

torch::Tensor ParameterSubset::Flatten(const std::vector<torch::Tensor>& parts, torch::Dtype dtype) const {
  std::vector<torch::Tensor> flat;
  flat.reserve(parts.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    flat.push_back(parts[i].defined() ? parts[i].detach().reshape({-1}).to(dtype)
                                      : torch::zeros({parameters[i].numel()}, parameters[i].options().dtype(dtype)));
  }
  return torch::cat(flat);
}

std::vector<torch::Tensor> ParameterSubset::Unflatten(const torch::Tensor& flat) const {
  std::vector<torch::Tensor> out;
  int64_t offset = 0;
  for (const auto& p : parameters) {
    out.push_back(flat.slice(0, offset, offset + p.numel()).view(p.sizes()).to(p.options()));
    offset += p.numel();
  }
  return out;
}

torch::Tensor ParameterSubset::Values(torch::Dtype dtype) const { return Flatten(parameters, dtype); }

ParameterSubset SelectParameters(const Network& network, const std::vector<std::string>& selectors) {
  std::vector<std::string> all_names;
  std::vector<torch::Tensor> all_tensors;
  for (auto& [name, p] : network.NamedParameters()) {
    all_names.push_back(name);
    all_tensors.push_back(p);
  }
  if (selectors.empty()) throw UserError("the parameter subset is empty; name at least one of 'classifier', 'features', 'all', a layer or a parameter");
  std::vector<bool> chosen(all_names.size(), false);
  for (const auto& selector : selectors) {
    bool any = false;
    for (size_t i = 0; i < all_names.size(); ++i) {
      if (Matches(network, selector, all_names[i])) chosen[i] = true, any = true;
    }
    if (!any) {
      throw UserError("parameter subset '" + selector + "' matches no parameter of the model; expected 'classifier', " +
                      "'features', 'all', a layer (" + ListSome(OwningModules(all_names), 12) +
                      ") or a parameter name (" + ListSome(all_names, 12) + ")");
    }
  }
  ParameterSubset subset;
  subset.classifier_only = true;
  for (size_t i = 0; i < all_names.size(); ++i) {
    if (!chosen[i]) continue;
    subset.names.push_back(all_names[i]);
    subset.parameters.push_back(all_tensors[i]);
    subset.numel += all_tensors[i].numel();
    subset.classifier_only = subset.classifier_only && network.IsClassifierParameter(all_names[i]);
  }
  return subset;
}

}  // namespace pof
