"""A portal whose canonical tags lie, on 127.0.0.x, port 0: the canonical cases of issue 21.

- ``victim`` is an ordinary article; ``claims-victim`` names it in rel=canonical and ``og-victim`` in
  og:url, each with a text of its own: neither may replace the victim's text. Both are linked from the
  victim only, so the victim is archived first and the claims are judged against its text.
- ``claims-first`` names ``late-victim``, which it alone links to: the claim comes before its target is
  archived (on main the claimer's text became the target's first version).
- ``home-1`` to ``home-3``: three different articles whose canonical is the home page (a common CMS
  misconfiguration); ``listing-claim``'s canonical is a section page. Each must stay its own article.
- ``original`` and ``print-copy``: one text under two URLs, the copy naming the original as canonical
  (the legitimate use). The copy is linked only from the original, so the original is archived first
  and the copy joins it.

Every article text is its own story (other topic, places, figures), so no two are near-duplicates.
"""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

# name -> (title, paragraphs). Distinct stories: no shared sentences, names or figures.
STORIES: dict[str, tuple[str, list[str]]] = {
    "victim": (
        "Khánh thành cầu Bến Lội nối hai huyện miền núi",
        [
            "Sáng nay, tỉnh Lâm Đồng khánh thành cầu Bến Lội dài 212 mét bắc qua sông Đạ Nhim.",
            "Công trình có tổng vốn đầu tư 148 tỷ đồng, khởi công từ tháng 3 năm ngoái.",
            "Cây cầu rút ngắn quãng đường từ xã Liêng Srônh đến trung tâm huyện còn 9 cây số.",
            "Người dân hai bên bờ trước đây phải đi đò ngang, mùa mưa lũ thường xuyên bị chia cắt.",
            "Lãnh đạo tỉnh yêu cầu đơn vị quản lý bảo trì định kỳ và lắp đặt biển báo tải trọng.",
        ],
    ),
    "claims-victim": (
        "Giá cà phê nhân xô tăng mạnh đầu vụ thu hoạch",
        [
            "Giá cà phê nhân xô tại Đắk Lắk hôm nay được thương lái thu mua ở mức 96.500 đồng mỗi ký.",
            "So với tuần trước, mỗi ký cà phê tăng thêm khoảng 2.300 đồng do nguồn cung khan hiếm.",
            "Nhiều nông hộ ở Krông Pắc chọn trữ hàng chờ giá thay vì bán ngay sau khi hái.",
            "Các doanh nghiệp xuất khẩu cho biết đơn hàng từ châu Âu vẫn ổn định trong quý này.",
            "Ngành nông nghiệp khuyến cáo bà con thu hái quả chín để giữ chất lượng hạt.",
        ],
    ),
    "og-victim": (
        "Học sinh Quảng Trị giành huy chương vàng tin học quốc tế",
        [
            "Em Lê Minh Khoa, học sinh lớp 12 chuyên tin, vừa giành huy chương vàng kỳ thi tin học châu Á.",
            "Kỳ thi năm nay quy tụ 417 thí sinh đến từ 31 quốc gia và vùng lãnh thổ.",
            "Khoa đạt 286 điểm, đứng thứ tư toàn đoàn sau ba bài thi kéo dài năm tiếng.",
            "Thầy chủ nhiệm kể em thường luyện đề đến khuya và tự học thuật toán từ năm lớp 8.",
            "Sở Giáo dục tỉnh sẽ khen thưởng và đề xuất tuyển thẳng em vào đại học.",
        ],
    ),
    "home-1": (
        "Ninh Thuận mở rộng diện tích trồng nho an toàn",
        [
            "Năm nay Ninh Thuận có thêm 65 héc ta nho được chứng nhận sản xuất theo quy trình an toàn.",
            "Các hợp tác xã ở Phan Rang ký hợp đồng bao tiêu với siêu thị tại Thành phố Hồ Chí Minh.",
            "Giống nho xanh NH01-48 cho năng suất khoảng 30 tấn mỗi héc ta một năm.",
            "Nông dân được tập huấn ghi chép nhật ký đồng ruộng và sử dụng phân bón hữu cơ.",
            "Tỉnh đặt mục tiêu đến năm 2030 có 1.500 héc ta nho đạt chuẩn VietGAP.",
        ],
    ),
    "home-2": (
        "Bình Định diễn tập ứng phó bão mạnh trên biển",
        [
            "Hơn 800 người tham gia buổi diễn tập ứng phó bão cấp 12 tại cảng cá Tam Quan.",
            "Lực lượng biên phòng hướng dẫn 140 tàu cá vào nơi neo đậu và kiểm đếm ngư dân.",
            "Đội cứu hộ thực hành đưa người bị nạn từ tàu chìm lên bờ bằng xuồng cao tốc.",
            "Trạm y tế dã chiến được dựng trong vòng 40 phút để tiếp nhận người bị thương giả định.",
            "Ban chỉ huy phòng chống thiên tai đánh giá các phương án phối hợp đạt yêu cầu.",
        ],
    ),
    "home-3": (
        "Thư viện Hà Giang đưa sách về các điểm trường vùng cao",
        [
            "Thư viện tỉnh Hà Giang vừa trao 3.200 cuốn sách thiếu nhi cho 27 điểm trường ở Mèo Vạc.",
            "Mỗi điểm trường nhận một tủ sách nhỏ kèm truyện tranh song ngữ tiếng Việt và tiếng Mông.",
            "Cán bộ thư viện hướng dẫn giáo viên tổ chức giờ đọc sách vào chiều thứ sáu hằng tuần.",
            "Nhiều em nhỏ lần đầu được cầm trên tay những cuốn sách in màu về động vật và vũ trụ.",
            "Chương trình do các nhà hảo tâm ở Hà Nội và Đà Nẵng cùng đóng góp kinh phí.",
        ],
    ),
    "listing-claim": (
        "Phú Yên phục hồi rạn san hô ở vịnh Xuân Đài",
        [
            "Các nhà khoa học đã trồng lại 1.900 tập đoàn san hô trên diện tích 2 héc ta ở vịnh Xuân Đài.",
            "Sau mười tám tháng, tỷ lệ san hô sống đạt khoảng 74 phần trăm theo kết quả khảo sát.",
            "Ngư dân địa phương được thuê làm tổ tuần tra, ngăn tàu giã cào vào vùng bảo vệ.",
            "Cá mú và tôm hùm con đã quay lại khu vực rạn, mở ra hướng du lịch lặn biển.",
            "Dự án được tài trợ bởi một quỹ môi trường quốc tế trong thời gian năm năm.",
        ],
    ),
    "original": (
        "Cao Bằng tổ chức lễ hội mùa thu thác Bản Giốc",
        [
            "Lễ hội mùa thu thác Bản Giốc năm nay diễn ra trong ba ngày với nhiều hoạt động văn hóa.",
            "Du khách được thưởng thức hát then, đàn tính và các món bánh truyền thống của người Tày.",
            "Ban tổ chức dự kiến đón khoảng 56.000 lượt khách trong và ngoài nước.",
            "Huyện Trùng Khánh bố trí thêm bãi đỗ xe và tuyến xe điện từ trung tâm đến khu thác.",
            "Các cơ sở lưu trú cam kết niêm yết giá phòng công khai, không tăng giá dịp lễ hội.",
        ],
    ),
    "claims-first": (
        "Quảng Ngãi khai trương chợ đêm phố cổ Thu Xà",
        [
            "Chợ đêm phố cổ Thu Xà chính thức mở cửa từ 17 giờ đến 23 giờ các tối thứ bảy và chủ nhật.",
            "Khu chợ có 84 gian hàng bán đặc sản mạch nha, kẹo gương và bánh tráng nướng.",
            "Xã Nghĩa Hòa bố trí lực lượng dân quân giữ trật tự và hướng dẫn khách gửi xe.",
            "Nhiều hộ buôn bán nhỏ kỳ vọng thu nhập tăng thêm vào những tháng cuối năm.",
            "Huyện Tư Nghĩa sẽ đánh giá sau sáu tháng hoạt động để mở rộng quy mô.",
        ],
    ),
    "late-victim": (
        "Sơn La thu hoạch mận hậu sớm hơn mọi năm",
        [
            "Những vườn mận hậu ở cao nguyên Mộc Châu đã vào vụ thu hoạch sớm hơn khoảng mười ngày.",
            "Sản lượng toàn tỉnh ước đạt 93.000 tấn, giá bán tại vườn từ 15.000 đến 22.000 đồng.",
            "Các thương lái từ Hà Nội và Hải Phòng lên tận nơi thu mua, đóng thùng xốp vận chuyển.",
            "Một số hợp tác xã đã xuất khẩu lô mận đầu tiên sang thị trường Úc theo đường hàng không.",
            "Người trồng được khuyến cáo không dùng chất kích thích chín để giữ uy tín thương hiệu.",
        ],
    ),
}
STORIES["print-copy"] = STORIES["original"]  # the same text: the legitimate canonical


def _path(name: str) -> str:
    """An article-shaped URL: a title slug of five words or more and an id."""
    number = 5000 + sorted(STORIES).index(name)
    return f"/tin/bai-viet-kiem-tra-the-canonical-{name}-{number}.html"


PATHS = {name: _path(name) for name in STORIES}
LISTING_PATH = "/thoi-su/"
# Who links to whom (the linked page is fetched after the linking one was analysed, its item archived
# first): the home page links the rest.
LINKED_FROM = {
    "claims-victim": "victim", "og-victim": "victim", "print-copy": "original", "late-victim": "claims-first",
}  # fmt: skip
HOME_LINKS = [name for name in STORIES if name not in LINKED_FROM]
# What each page declares: (tag, target) with target a case name, "home", "home-relative" or "listing".
CLAIMS = {
    "claims-victim": ("canonical", "victim"),
    "og-victim": ("og:url", "victim"),
    "home-1": ("canonical", "home"),
    "home-2": ("canonical", "home-relative"),
    "home-3": ("og:url", "home"),
    "listing-claim": ("canonical", "listing"),
    "print-copy": ("canonical", "original"),
    "claims-first": ("canonical", "late-victim"),
}
LINKED_DELAY = 0.5  # seconds before a page of LINKED_FROM answers: the page linking it is archived first


def _list() -> str:
    items = "".join(f"<li><a href='{PATHS[name]}'>{STORIES[name][0]}</a></li>" for name in HOME_LINKS)
    return f"<ul>{items}</ul>"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: CanonicalPortal


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        status, body, content_type = self.server.owner.answer(self.path)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


class CanonicalPortal:
    """The portal on ``host`` (a loopback address) and a free port; ``base`` is its origin."""

    def __init__(self, host: str = "127.0.0.5") -> None:
        self.host = host
        self.base = ""
        self._server: _Server | None = None

    def __enter__(self) -> CanonicalPortal:
        server = _Server((self.host, 0), _Handler)
        server.owner = self
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self._server = server
        self.base = f"http://{self.host}:{server.server_address[1]}"
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def url(self, name: str) -> str:
        return self.base + PATHS[name]

    def target(self, name: str) -> str:
        """The URL ``name``'s claim names, absolute."""
        _, target = CLAIMS[name]
        return {
            "home": self.base + "/",
            "home-relative": self.base + "/",
            "listing": self.base + LISTING_PATH,
        }.get(target, self.url(target) if target in PATHS else "")

    def answer(self, path: str) -> tuple[int, bytes, str]:
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/":
            links = "".join(f"<li><a href='{PATHS[name]}'>{STORIES[name][0]}</a></li>" for name in HOME_LINKS)
            section = f"<a href='{LISTING_PATH}'>Thời sự</a>"
            return (
                200,
                f"<html><body><h1>Trang chủ</h1>{section}<ul>{links}</ul></body></html>".encode(),
                html,
            )
        if path == LISTING_PATH:
            links = "".join(f"<li><a href='{PATHS[name]}'>{STORIES[name][0]}</a></li>" for name in HOME_LINKS)
            return 200, f"<html><body><h1>Thời sự</h1><ul>{links}</ul></body></html>".encode(), html
        name = next((case for case, case_path in PATHS.items() if case_path == path), None)
        if name is None:
            return 404, b"not found", html
        if name in LINKED_FROM:
            time.sleep(LINKED_DELAY)
        return 200, self.page(name), html

    def page(self, name: str) -> bytes:
        title, paragraphs = STORIES[name]
        head = ""
        if name in CLAIMS:
            tag, target = CLAIMS[name]
            href = "/" if target == "home-relative" else self.target(name)
            head = (
                f"<link rel='canonical' href='{href}'>"
                if tag == "canonical"
                else f"<meta property='og:url' content='{href}'>"
            )
        else:
            head = f"<link rel='canonical' href='{self.url(name)}'>"
        links = "".join(
            f"<p><a href='{PATHS[linked]}'>{STORIES[linked][0]}</a></p>"
            for linked, linker in LINKED_FROM.items()
            if linker == name
        )
        body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
        return (
            "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
            f"<title>{title}</title><meta property='og:type' content='article'>{head}</head>"
            f"<body><article><h1>{title}</h1>{body}{links}</article></body></html>"
        ).encode()
