#include "protocol/image.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>

#include <vips/vips.h>

namespace relay::image {

namespace {

// Owns a VipsImage reference.
struct unref {
  void operator()(VipsImage* i) const noexcept {
    if (i != nullptr) g_object_unref(i);
  }
};
using image_ptr = std::unique_ptr<VipsImage, unref>;

// libvips keeps its error messages in a per-process buffer; each failure is reported by
// our own sentence, and the buffer is cleared so it cannot grow across requests.
std::string take_vips_error() {
  std::string e = vips_error_buffer();
  vips_error_clear();
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  return e;
}

result refuse(outcome o, std::string why) {
  result r;
  r.status = o;
  r.error = std::move(why);
  return r;
}

// Removes EXIF (every exif-* field and the exif-data blob), XMP, IPTC, ICC and the
// orientation (already applied by thumbnail) from `img`.
void strip_metadata(VipsImage* img) {
  gchar** fields = vips_image_get_fields(img);
  for (gchar** f = fields; f != nullptr && *f != nullptr; ++f) {
    std::string_view name{*f};
    if (name.rfind("exif-", 0) == 0 || name == "xmp-data" || name == "iptc-data" ||
        name == "icc-profile-data" || name == "orientation" || name.rfind("png-comment", 0) == 0 ||
        name == "gif-comment" || name.rfind("heif-", 0) == 0)
      vips_image_remove(img, *f);
  }
  g_strfreev(fields);
}

std::uint32_t le32(const std::string& b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}

void put_le32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Drops the EXIF, XMP and ICCP chunks from a WebP file (RIFF container) and clears their
// flags in VP8X. libvips 8.14's webpsave writes a fresh EXIF block (resolution, and what
// is left of the source's) even with `strip`, which unit.image caught; this is the last
// word on what leaves the server. Returns false when the container is not as expected.
bool strip_webp_chunks(std::string& webp) {
  if (webp.size() < 12 || webp.compare(0, 4, "RIFF") != 0 || webp.compare(8, 4, "WEBP") != 0)
    return false;
  std::string out = webp.substr(0, 12);
  std::size_t pos = 12;
  std::size_t vp8x = std::string::npos;
  while (pos + 8 <= webp.size()) {
    const std::string fourcc = webp.substr(pos, 4);
    const std::size_t len = le32(webp, pos + 4);
    const std::size_t whole = 8 + len + (len & 1);
    if (pos + 8 + len > webp.size()) return false;
    if (fourcc != "EXIF" && fourcc != "XMP " && fourcc != "ICCP") {
      if (fourcc == "VP8X") vp8x = out.size();
      out.append(webp, pos, std::min(whole, webp.size() - pos));
    }
    pos += whole;
  }
  // VP8X flags: ICC 0x20, EXIF 0x08, XMP 0x04.
  if (vp8x != std::string::npos && vp8x + 8 < out.size())
    out[vp8x + 8] = static_cast<char>(static_cast<unsigned char>(out[vp8x + 8]) & ~0x2c);
  put_le32(out, 4, static_cast<std::uint32_t>(out.size() - 8));
  webp = std::move(out);
  return true;
}

}  // namespace

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    // VIPS_INIT is a macro over vips_init(argv0); the name only labels messages.
    if (vips_init("relay") != 0) return;
    vips_cache_set_max(0);
    vips_concurrency_set(1);
  });
}

result reencode(std::string_view bytes, const limits& l) {
  init();
  // The header only: new_from_buffer is lazy, so this reads the size and format and
  // decodes nothing. `fail_on=error` makes a truncated or damaged file an error instead
  // of a gray tail (libvips' default only warns).
  image_ptr head{vips_image_new_from_buffer(bytes.data(), bytes.size(), "fail_on=error", "access",
                                            VIPS_ACCESS_SEQUENTIAL, nullptr)};
  if (!head) {
    take_vips_error();
    return refuse(outcome::corrupt, "the image cannot be read");
  }
  const std::int64_t w = vips_image_get_width(head.get());
  // For a multi-page load libvips reports all pages stacked; the first frame is what
  // thumbnail decodes.
  const std::int64_t h = vips_image_get_page_height(head.get());
  if (w <= 0 || h <= 0) return refuse(outcome::corrupt, "the image has no pixels");
  if (w * h > l.max_pixels) {
    auto r = refuse(outcome::too_many_pixels, "the image is " + std::to_string(w) + " x " +
                                                  std::to_string(h) + " pixels; at most " +
                                                  std::to_string(l.max_pixels) + " are accepted");
    r.width = static_cast<int>(w);
    r.height = static_cast<int>(h);
    return r;
  }
  head.reset();

  // Shrink-on-load into the box, upright by EXIF orientation, first frame only. The
  // buffer is not copied: thumbnail reads it in place.
  VipsImage* out = nullptr;
  if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &out, l.box, "height",
                            l.box, "size", VIPS_SIZE_DOWN, "option_string", "fail_on=error",
                            nullptr) != 0) {
    take_vips_error();
    return refuse(outcome::corrupt, "the image cannot be decoded");
  }
  image_ptr thumb{out};
  // Decoded once into memory (at most box × box × bands bytes): every smaller try below
  // resizes this, and a sequential source could not be read twice.
  image_ptr mem{vips_image_copy_memory(thumb.get())};
  thumb.reset();
  if (!mem) {
    take_vips_error();
    return refuse(outcome::corrupt, "the image cannot be decoded");
  }

  // Metadata goes before any encode: webpsave's `strip` alone left EXIF (with GPS) in
  // the output under libvips 8.14 (unit.image caught it), so every field that is not
  // the pixels' own description is removed from the image itself.
  strip_metadata(mem.get());

  // Quality first (cheap, keeps detail), then size: a photo usually fits at 1600 px and
  // Q 75; a noisy one ends smaller. An encode costs a fifth of a second at 1600 px, so
  // the first round's sizes steer the rest: WebP's size goes with the pixel count, so a
  // quality whose first size was `len` needs about sqrt(max / len) of the side. Later
  // rounds jump there and skip qualities predicted to miss, instead of stepping by 0.7
  // through every quality (a noisy 12 MP photo took a dozen encodes that way).
  static constexpr std::array<int, 4> qualities{80, 65, 50, 35};
  std::array<double, qualities.size()> first_len{};
  const double max_bytes = static_cast<double>(l.max_output_bytes);
  double scale = 1.0;
  for (int round = 0; round < 12; ++round) {
    image_ptr sized;
    VipsImage* src = mem.get();
    if (scale < 1.0) {
      VipsImage* r = nullptr;
      if (vips_resize(mem.get(), &r, scale, nullptr) != 0) {
        take_vips_error();
        return refuse(outcome::corrupt, "the image cannot be resized");
      }
      sized.reset(r);
      src = r;
    }
    for (std::size_t qi = 0; qi < qualities.size(); ++qi) {
      const int q = qualities[qi];
      // The lowest quality is always tried: it is what the next jump is measured from.
      // In the first round Q 35 comes out at about half of Q 80's size, so a Q 80 more
      // than 2.5 times over the cap says the middle qualities would miss too.
      const bool last = qi + 1 == qualities.size();
      const bool predicted_miss = round == 0 ? qi > 0 && first_len[0] > max_bytes * 2.5
                                             : first_len[qi] * scale * scale > max_bytes * 1.1;
      if (!last && predicted_miss) continue;
      void* buf = nullptr;
      std::size_t len = 0;
      if (vips_webpsave_buffer(src, &buf, &len, "Q", q, "strip", TRUE, nullptr) != 0) {
        take_vips_error();
        return refuse(outcome::corrupt, "the image cannot be encoded");
      }
      if (round == 0) first_len[qi] = static_cast<double>(len);
      if (len <= l.max_output_bytes) {
        result r;
        r.status = outcome::ok;
        r.webp.assign(static_cast<const char*>(buf), len);
        if (!strip_webp_chunks(r.webp)) {
          g_free(buf);
          return refuse(outcome::corrupt, "the image cannot be encoded");
        }
        r.width = vips_image_get_width(src);
        r.height = vips_image_get_height(src);
        g_free(buf);
        return r;
      }
      g_free(buf);
      if (qi + 1 == qualities.size()) {
        // Where the lowest quality should fit, with a margin; never less than a 0.7 step.
        const double fit = std::sqrt(max_bytes / static_cast<double>(len)) * 0.95;
        scale *= std::min(0.7, fit);
      }
    }
    // Below 16 px on the long side there is nothing left to show.
    if (std::max(vips_image_get_width(mem.get()), vips_image_get_height(mem.get())) * scale < 16)
      break;
  }
  return refuse(outcome::too_large, "the image does not fit 70 KB as WebP");
}

}  // namespace relay::image
