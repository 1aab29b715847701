// Placeholder until the worker sources land.
namespace provbadge {}
