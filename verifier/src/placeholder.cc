// Placeholder so the library has a source before its files land; delete when others exist.
namespace provbadge {}
