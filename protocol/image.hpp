#pragma once

// Images people upload, re-encoded with libvips into a small WebP with no metadata.
// Pure over bytes (no actors, no sockets) but slow and memory-hungry: only a blocking
// worker calls it (api/attachments.cpp runs it on a detached actor, at most
// `max_concurrent_decodes` at a time).
//
// Memory stays bounded: the header is read first and an image over `max_pixels` is
// refused before a pixel is decoded (a 30,000 × 30,000 PNG costs its header, not
// 2.7 GB); decoding goes through vips_thumbnail, which shrinks on load where the format
// allows (JPEG by 2/4/8, WebP, HEIC) and otherwise streams rows sequentially into the
// resize, so what is held is the input bytes, the box-sized thumbnail (at most
// `box` × `box` × 4 bytes, 10 MB at 1600) and libvips' line buffers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::image {

/// How an image must come out.
struct limits {
  std::int64_t max_pixels =
      50'000'000;  ///< width × height of the first frame, read from the header
  std::size_t max_output_bytes = 71'680;  ///< 70 KB: the WebP must fit
  int box = 1600;                         ///< the output fits in box × box (never upscaled)
};

enum class outcome {
  ok,
  too_many_pixels,  ///< over max_pixels (413), refused before decoding
  corrupt,          ///< the bytes are not a readable image of their format (422)
  too_large,        ///< no size and quality tried fits max_output_bytes (422; not seen in practice)
};

struct result {
  outcome status = outcome::corrupt;
  std::string webp;           ///< the re-encoded image, when ok
  int width = 0, height = 0;  ///< of the WebP when ok; of the source for too_many_pixels
  std::string error;          ///< a sentence for the client when not ok
};

/// Decodes `bytes` (any format libvips reads: JPEG, PNG, GIF's first frame, WebP, HEIC),
/// turns it upright by its EXIF orientation, fits it in `box` with its aspect ratio, and
/// encodes WebP without metadata (EXIF, XMP, ICC, GPS), lowering quality and then size
/// until it fits `max_output_bytes`. Thread-safe; blocks.
result reencode(std::string_view bytes, const limits& l = {});

/// libvips' own settings, once per process: no operation cache (it would keep decoded
/// images alive after a request), one thread per pipeline (concurrency comes from the
/// number of workers, which bounds memory). Called by reencode(); idempotent.
void init();

}  // namespace relay::image
