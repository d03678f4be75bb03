// protocol/image and the upload sniffing: real images made here with libvips (and a real
// 30,000 × 30,000 PNG made with zlib), never files checked in.

#include "protocol/image.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

#include "protocol/attachment_codec.hpp"

namespace relay::image {
namespace {

using namespace std::string_literals;

struct unref {
  void operator()(VipsImage* i) const noexcept {
    if (i) g_object_unref(i);
  }
};
using image_ptr = std::unique_ptr<VipsImage, unref>;

// An EXIF APP1 segment by hand (TIFF little-endian): IFD0 holds an ImageDescription with
// `secret` and a pointer to a GPS IFD holding GPSLatitudeRef "N" and GPSLongitudeRef "E".
std::string exif_app1(const std::string& secret) {
  std::string tiff = "II*\0\x08\0\0\0"s;
  auto u16 = [&](std::string& s, unsigned v) {
    s.push_back(static_cast<char>(v & 0xff));
    s.push_back(static_cast<char>(v >> 8));
  };
  auto u32 = [&](std::string& s, unsigned v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  // IFD0 at 8: 2 entries (2 + 2*12 + 4 = 30 bytes), then the description, then the GPS IFD.
  const unsigned desc_off = 8 + 30;
  const unsigned desc_len = static_cast<unsigned>(secret.size()) + 1;
  const unsigned gps_off = desc_off + desc_len + (desc_len & 1);
  u16(tiff, 2);
  u16(tiff, 0x010e), u16(tiff, 2), u32(tiff, desc_len), u32(tiff, desc_off);
  u16(tiff, 0x8825), u16(tiff, 4), u32(tiff, 1), u32(tiff, gps_off);
  u32(tiff, 0);
  tiff += secret;
  tiff.push_back('\0');
  if (desc_len & 1) tiff.push_back('\0');
  u16(tiff, 2);
  u16(tiff, 0x0001), u16(tiff, 2), u32(tiff, 2), tiff += "N\0\0\0"s;
  u16(tiff, 0x0003), u16(tiff, 2), u32(tiff, 2), tiff += "E\0\0\0"s;
  u32(tiff, 0);
  std::string body = "Exif\0\0"s + tiff;
  std::string seg = "\xFF\xE1"s;
  u16(seg, 0);  // placeholder
  seg[2] = static_cast<char>((body.size() + 2) >> 8);
  seg[3] = static_cast<char>((body.size() + 2) & 0xff);
  return seg + body;
}

// A smooth RGB picture with some texture (a photo compresses like this, unlike noise).
image_ptr picture(int w, int h) {
  VipsImage *xyz = nullptr, *scaled = nullptr, *r = nullptr, *g = nullptr, *rg = nullptr,
            *b = nullptr, *joined = nullptr, *noise = nullptr, *sum = nullptr, *u8 = nullptr;
  double a[2] = {255.0 / w, 255.0 / h}, zero[2] = {0, 0};
  EXPECT_EQ(vips_xyz(&xyz, w, h, nullptr), 0);
  EXPECT_EQ(vips_linear(xyz, &scaled, a, zero, 2, nullptr), 0);
  EXPECT_EQ(vips_extract_band(scaled, &r, 0, nullptr), 0);
  EXPECT_EQ(vips_extract_band(scaled, &g, 1, nullptr), 0);
  EXPECT_EQ(vips_add(r, g, &rg, nullptr), 0);
  EXPECT_EQ(vips_linear1(rg, &b, 0.5, 0.0, nullptr), 0);
  VipsImage* bands[3] = {r, g, b};
  EXPECT_EQ(vips_bandjoin(bands, &joined, 3, nullptr), 0);
  EXPECT_EQ(vips_gaussnoise(&noise, w, h, "sigma", 8.0, "mean", 0.0, nullptr), 0);
  EXPECT_EQ(vips_add(joined, noise, &sum, nullptr), 0);
  EXPECT_EQ(vips_cast_uchar(sum, &u8, nullptr), 0);
  for (auto* i : {xyz, scaled, r, g, rg, b, joined, noise, sum}) g_object_unref(i);
  return image_ptr{u8};
}

std::string save(VipsImage* img, const char* suffix) {
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_image_write_to_buffer(img, suffix, &buf, &len, nullptr), 0) << vips_error_buffer();
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

image_ptr load(const std::string& bytes) {
  return image_ptr{vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr)};
}

class Image : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init(); }
};

TEST_F(Image, TwelveMegapixelJpegWithGpsBecomesSmallCleanWebp) {
  auto pic = picture(4000, 3000);
  std::string jpeg = save(pic.get(), ".jpg[Q=90]");
  const std::string secret = "relay-test-secret-location";
  jpeg.insert(2, exif_app1(secret));  // right after SOI
  {
    auto in = load(jpeg);
    ASSERT_TRUE(in);
    ASSERT_NE(vips_image_get_typeof(in.get(), "exif-data"), 0u) << "the input carries EXIF";
    ASSERT_EQ(vips_image_get_width(in.get()), 4000);
  }
  ASSERT_NE(jpeg.find(secret), std::string::npos);

  auto t0 = std::chrono::steady_clock::now();
  auto r = reencode(jpeg);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  ASSERT_EQ(r.status, outcome::ok) << r.error;
  EXPECT_LE(r.webp.size(), 71'680u);
  EXPECT_EQ(codec::sniff_content_type(r.webp).content_type, "image/webp");
  EXPECT_EQ(r.webp.find(secret), std::string::npos);
  EXPECT_EQ(r.webp.find("EXIF"), std::string::npos);
  EXPECT_EQ(r.webp.find("Exif"), std::string::npos);
  auto out = load(r.webp);
  ASSERT_TRUE(out);
  EXPECT_EQ(vips_image_get_typeof(out.get(), "exif-data"), 0u);
  EXPECT_EQ(vips_image_get_width(out.get()), r.width);
  EXPECT_EQ(vips_image_get_height(out.get()), r.height);
  EXPECT_LE(std::max(r.width, r.height), 1600);
  // 4:3 kept to within a pixel of rounding.
  EXPECT_NEAR(static_cast<double>(r.width) / r.height, 4.0 / 3.0, 0.01)
      << r.width << "x" << r.height;
  std::cout << "12 MP JPEG (" << jpeg.size() << " bytes) -> " << r.width << "x" << r.height
            << " WebP of " << r.webp.size() << " bytes in " << ms.count() << " ms\n";
}

TEST_F(Image, EveryFormatIsReencoded) {
  auto pic = picture(640, 480);
  for (const char* suffix : {".png", ".gif", ".webp", ".jpg"}) {
    auto bytes = save(pic.get(), suffix);
    auto kind = codec::sniff_content_type(bytes);
    EXPECT_TRUE(kind.image) << suffix;
    auto r = reencode(bytes);
    ASSERT_EQ(r.status, outcome::ok) << suffix << ": " << r.error;
    EXPECT_EQ(r.width, 640) << suffix;  // never upscaled, never shrunk when it fits
    EXPECT_EQ(r.height, 480) << suffix;
    EXPECT_LE(r.webp.size(), 71'680u);
  }
}

TEST_F(Image, TallImagesKeepTheirAspect) {
  auto pic = picture(300, 3000);
  auto r = reencode(save(pic.get(), ".png"));
  ASSERT_EQ(r.status, outcome::ok) << r.error;
  EXPECT_EQ(r.height, 1600);
  EXPECT_EQ(r.width, 160);
}

TEST_F(Image, CorruptImagesAreRefused) {
  auto png = save(picture(400, 300).get(), ".png");
  auto jpeg = save(picture(400, 300).get(), ".jpg");
  // Truncated halfway; a header and garbage; the magic alone.
  for (const std::string& bad :
       {png.substr(0, png.size() / 2), jpeg.substr(0, jpeg.size() / 2),
        png.substr(0, 33) + std::string(1000, '\x55'), std::string("\x89PNG\r\n\x1a\n"),
        std::string("\xFF\xD8\xFF\xE0") + std::string(100, '\0'), std::string("GIF89a")}) {
    auto r = reencode(bad);
    EXPECT_EQ(r.status, outcome::corrupt) << bad.size() << " bytes";
    EXPECT_FALSE(r.error.empty());
  }
}

TEST_F(Image, PixelLimitIsTheHeadersWord) {
  limits l;
  l.max_pixels = 12'000'000;
  // 12 MP passes at a 12 MP limit; one row more does not.
  EXPECT_EQ(reencode(save(picture(4000, 3000).get(), ".png"), l).status, outcome::ok);
  auto r = reencode(save(picture(4000, 3001).get(), ".png"), l);
  EXPECT_EQ(r.status, outcome::too_many_pixels);
  EXPECT_EQ(r.width, 4000);
  EXPECT_EQ(r.height, 3001);
}

// A real 30,000 × 30,000 gray PNG: 900 MB of pixels in under 1 MB of zlib.
std::string png_bomb(unsigned side) {
  auto be32 = [](std::string& s, std::uint32_t v) {
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto chunk = [&](std::string& out, const char* type, const std::string& data) {
    be32(out, static_cast<std::uint32_t>(data.size()));
    std::string td = std::string(type, 4) + data;
    out += td;
    be32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()),
                                               static_cast<uInt>(td.size()))));
  };
  std::string ihdr;
  be32(ihdr, side);
  be32(ihdr, side);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit gray, deflate, no filter, no interlace
  z_stream z{};
  EXPECT_EQ(deflateInit(&z, 9), Z_OK);
  std::string row(side + 1, '\0');  // filter byte 0, then black
  std::string idat;
  std::string buf(1 << 16, '\0');
  for (unsigned y = 0; y < side; ++y) {
    z.next_in = reinterpret_cast<Bytef*>(row.data());
    z.avail_in = static_cast<uInt>(row.size());
    const int flush = y + 1 == side ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf.data());
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, flush);
      idat.append(buf.data(), buf.size() - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && z.avail_in > 0));
  }
  deflateEnd(&z);
  std::string png = "\x89PNG\r\n\x1a\n";
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", idat);
  chunk(png, "IEND", "");
  return png;
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// The bomb is refused by its header in bounded memory: run in a child process, whose
// peak RSS is its own to measure. Decoding it would take 900 MB.
TEST_F(Image, DecompressionBombIsRefusedBeforeDecoding) {
  const std::string bomb = png_bomb(30000);
  ASSERT_LT(bomb.size(), 2u << 20);
  const long before_kb = rss_kb();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = reencode(bomb);
    _exit(r.status == outcome::too_many_pixels && r.width == 30000 && r.height == 30000 ? 0 : 1);
  }
  int status = 0;
  rusage ru{};
  ASSERT_EQ(wait4(pid, &status, 0, &ru), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the bomb was not refused as too many pixels";
  const long grown_mb = (ru.ru_maxrss - before_kb) / 1024;
  std::cout << "bomb: child peak RSS " << ru.ru_maxrss / 1024 << " MB, " << grown_mb
            << " MB above the parent\n";
  EXPECT_LT(grown_mb, 100) << "refusing the bomb cost " << grown_mb << " MB";
}

TEST(Sniff, TheBytesDecideNotTheName) {
  auto png = save(picture(16, 16).get(), ".png");
  EXPECT_EQ(codec::sniff_content_type(png).content_type, "image/png");
  EXPECT_TRUE(codec::sniff_content_type(png).image);
  EXPECT_EQ(codec::sniff_content_type("\xFF\xD8\xFF\xE0rest").content_type, "image/jpeg");
  EXPECT_EQ(codec::sniff_content_type("GIF87a...").content_type, "image/gif");
  EXPECT_EQ(codec::sniff_content_type("RIFF\0\0\0\0WEBPVP8 "s).content_type, "image/webp");
  EXPECT_EQ(codec::sniff_content_type("\0\0\0\x18"
                                      "ftypheic\0\0\0\0"s)
                .content_type,
            "image/heic");
  EXPECT_EQ(codec::sniff_content_type("%PDF-1.7\n").content_type, "application/pdf");
  EXPECT_EQ(codec::sniff_content_type("hello, wörld\n").content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(codec::sniff_content_type("<html><script>alert(1)</script>").content_type,
            "text/plain; charset=utf-8");
  EXPECT_EQ(codec::sniff_content_type("bin\0ary"s).content_type, "application/octet-stream");
  EXPECT_EQ(codec::sniff_content_type("\xC3\x28").content_type, "application/octet-stream");
}

TEST(Sniff, FileNamesAreNeverPaths) {
  EXPECT_EQ(codec::safe_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(codec::safe_file_name("C:\\Users\\me\\report.pdf"), "report.pdf");
  EXPECT_EQ(codec::safe_file_name(".."), "file");
  EXPECT_EQ(codec::safe_file_name(".bashrc"), "bashrc");
  EXPECT_EQ(codec::safe_file_name(""), "file");
  EXPECT_EQ(codec::safe_file_name("a\"b;c\r\nd.txt"), "abcd.txt");
  EXPECT_EQ(codec::safe_file_name("résumé.pdf"), "résumé.pdf");
  EXPECT_EQ(codec::safe_file_name("bad\xC3.txt"), "bad.txt");
  EXPECT_LE(codec::safe_file_name(std::string(500, 'a')).size(), 120u);
  // Cut on a character boundary.
  auto long_utf8 = codec::safe_file_name(std::string(119, 'a') + "é");
  EXPECT_EQ(long_utf8, std::string(119, 'a'));
  EXPECT_EQ(codec::safe_file_name("..\\..\\..\\windows\\x.txt"), "x.txt");
  // The stem is cut, on a character boundary; a short extension stays.
  std::string e200;
  for (int i = 0; i < 200; ++i) e200 += "é";
  auto kept = codec::safe_file_name(e200 + ".txt");
  EXPECT_EQ(kept, e200.substr(0, 116) + ".txt");
  EXPECT_EQ(codec::safe_file_name(std::string(300, 'a') + ".tar.gz").size(), 120u);
  EXPECT_EQ(codec::safe_file_name(std::string(115, 'a') + "éé.txt"),
            std::string(115, 'a') + ".txt");
  EXPECT_EQ(codec::content_disposition(codec::safe_file_name("résumé \"x\".pdf")),
            "attachment; filename=\"r__sum__ x.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20x.pdf");
}

}  // namespace
}  // namespace relay::image
