// The one translation unit that compiles Beast (BOOST_BEAST_SEPARATE_COMPILATION).

// Beast's parser trips a false -Wmaybe-uninitialized on boost::optional in
// sanitizer builds; the warning is in Boost, not in Junction.
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such warning (make fuzz)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/src.hpp>
#pragma GCC diagnostic pop
