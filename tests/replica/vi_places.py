"""Provinces, people and place-name banks for the replica's Vietnamese text generator."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Province:
    """One province a replica portal reports on."""

    key: str
    name: str
    abbr: str
    districts: tuple[str, ...]
    products: tuple[str, ...]
    sights: tuple[str, ...]
    festivals: tuple[str, ...]
    roads: tuple[str, ...]
    address: str


PROVINCES: tuple[Province, ...] = (
    Province(
        key="ninhthuan",
        name="Ninh Thuận",
        abbr="NTO",
        districts=(
            "thành phố Phan Rang - Tháp Chàm",
            "huyện Ninh Hải",
            "huyện Ninh Phước",
            "huyện Ninh Sơn",
            "huyện Bác Ái",
            "huyện Thuận Bắc",
            "huyện Thuận Nam",
        ),
        products=("nho", "táo", "tỏi", "muối", "măng tây", "thịt cừu", "hành tím"),
        sights=("vịnh Vĩnh Hy", "tháp Po Klong Garai", "Vườn quốc gia Núi Chúa", "đồi cát Nam Cương"),
        festivals=("Katê", "Nho và Vang", "Cầu ngư"),
        roads=("1A", "27", "27B"),
        address="Số 450 đường Thống Nhất, phường Thanh Sơn, thành phố Phan Rang - Tháp Chàm",
    ),
    Province(
        key="khanhhoa",
        name="Khánh Hòa",
        abbr="BKH",
        districts=(
            "thành phố Nha Trang",
            "thành phố Cam Ranh",
            "thị xã Ninh Hòa",
            "huyện Vạn Ninh",
            "huyện Diên Khánh",
            "huyện Khánh Vĩnh",
            "huyện Khánh Sơn",
            "huyện Cam Lâm",
        ),
        products=("yến sào", "xoài", "sầu riêng", "tôm hùm", "bưởi da xanh", "cá ngừ"),
        sights=("Tháp Bà Ponagar", "đảo Bình Ba", "Hòn Chồng", "vịnh Vân Phong"),
        festivals=("Tháp Bà Ponagar", "Biển Nha Trang", "Yến sào"),
        roads=("1A", "26", "27C"),
        address="Số 3 đường Lê Thánh Tôn, phường Lộc Thọ, thành phố Nha Trang",
    ),
    Province(
        key="laocai",
        name="Lào Cai",
        abbr="BLC",
        districts=(
            "thành phố Lào Cai",
            "thị xã Sa Pa",
            "huyện Bát Xát",
            "huyện Bảo Thắng",
            "huyện Bảo Yên",
            "huyện Văn Bàn",
            "huyện Mường Khương",
            "huyện Bắc Hà",
            "huyện Si Ma Cai",
        ),
        products=("chè", "quế", "mận tam hoa", "chuối", "dược liệu", "gạo Séng Cù"),
        sights=("đỉnh Fansipan", "bản Cát Cát", "cao nguyên Bắc Hà", "ruộng bậc thang Y Tý"),
        festivals=("Xuống đồng", "Gầu Tào", "Hoa mận"),
        roads=("4D", "4E", "70"),
        address="Số 8 đường Hoàng Liên, phường Cốc Lếu, thành phố Lào Cai",
    ),
    Province(
        key="binhthuan",
        name="Bình Thuận",
        abbr="BBT",
        districts=(
            "thành phố Phan Thiết",
            "thị xã La Gi",
            "huyện Tuy Phong",
            "huyện Bắc Bình",
            "huyện Hàm Thuận Bắc",
            "huyện Hàm Thuận Nam",
            "huyện Hàm Tân",
            "huyện Đức Linh",
            "huyện Tánh Linh",
            "huyện Phú Quý",
        ),
        products=("thanh long", "nước mắm", "mực khô", "hạt điều", "cao su", "lúa gạo"),
        sights=("đồi cát Mũi Né", "Hải đăng Kê Gà", "núi Tà Cú", "đảo Phú Quý"),
        festivals=("Nghinh Ông", "Thanh long", "Dinh Thầy Thím"),
        roads=("1A", "28", "55"),
        address="Số 19 đường Nguyễn Tất Thành, phường Phú Thủy, thành phố Phan Thiết",
    ),
    Province(
        key="ninhbinh",
        name="Ninh Bình",
        abbr="BNB",
        districts=(
            "thành phố Hoa Lư",
            "thành phố Tam Điệp",
            "huyện Gia Viễn",
            "huyện Nho Quan",
            "huyện Yên Khánh",
            "huyện Yên Mô",
            "huyện Kim Sơn",
        ),
        products=("lúa gạo", "dê núi", "cói", "rau màu", "cá rô đồng", "dứa"),
        sights=("Tràng An", "chùa Bái Đính", "Tam Cốc - Bích Động", "Vườn quốc gia Cúc Phương"),
        festivals=("Hoa Lư", "Tràng An", "Chùa Bái Đính"),
        roads=("1A", "10", "12B"),
        address="Số 2 đường Lê Hồng Phong, phường Vân Giang, thành phố Hoa Lư",
    ),
)

COMMUNE_HEADS: tuple[str, ...] = (
    ("Phước", "Xuân", "Tân", "An", "Hòa", "Vĩnh", "Thanh", "Mỹ")
    + ("Bình", "Quảng", "Phú", "Nhơn", "Hưng", "Đức", "Gia", "Lợi")
    + ("Trường", "Cam", "Diên", "Ninh")
)
COMMUNE_TAILS: tuple[str, ...] = (
    ("Hải", "Sơn", "Thành", "Lợi", "Hưng", "Phú", "Thuận", "Tiến")
    + ("Đông", "Tây", "Trung", "Lộc", "Hà", "Minh", "Nam", "Bắc")
    + ("Thịnh", "Hiệp", "Dân", "Chánh")
)
COMMUNE_KINDS: tuple[str, ...] = ("xã", "xã", "xã", "phường", "thị trấn")
HAMLET_WORDS: tuple[str, ...] = ("thôn", "thôn", "khu phố", "bản", "tổ dân phố")

FAMILY_NAMES: tuple[str, ...] = (
    ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ")
    + ("Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
    + ("Đinh", "Trịnh", "Mai", "Lương")
)
MALE_MIDDLE: tuple[str, ...] = ("Văn", "Đức", "Minh", "Hữu", "Quốc", "Thanh", "Công", "Xuân", "Ngọc", "Anh")
FEMALE_MIDDLE: tuple[str, ...] = ("Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng", "Bích")
MALE_GIVEN: tuple[str, ...] = (
    ("Hùng", "Dũng", "Sơn", "Tuấn", "Bình", "Nam", "Long", "Hải")
    + ("Quang", "Hiếu", "Khoa", "Thắng", "Phúc", "Tâm", "Trung", "Cường")
    + ("Vinh", "Lộc", "Toàn", "Thành")
)
FEMALE_GIVEN: tuple[str, ...] = (
    ("Lan", "Hà", "Hương", "Phương", "Thảo", "Trang", "Mai", "Hạnh")
    + ("Yến", "Nga", "Loan", "Hằng", "Thủy", "Dung", "Nhung", "Oanh")
    + ("Vân", "Linh")
)

PROVINCE_ROLES: tuple[str, ...] = (
    "Chủ tịch UBND tỉnh",
    "Phó Chủ tịch UBND tỉnh",
    "Phó Bí thư Thường trực Tỉnh ủy",
    "Chủ tịch HĐND tỉnh",
    "Giám đốc Sở Nông nghiệp và Phát triển nông thôn",
    "Giám đốc Sở Kế hoạch và Đầu tư",
    "Giám đốc Sở Y tế",
    "Giám đốc Sở Giáo dục và Đào tạo",
    "Giám đốc Sở Văn hóa, Thể thao và Du lịch",
    "Giám đốc Sở Giao thông vận tải",
    "Phó Giám đốc Sở Tài nguyên và Môi trường",
    "Phó Giám đốc Công an tỉnh",
    "Chánh Văn phòng UBND tỉnh",
)
DISTRICT_ROLES: tuple[str, ...] = (
    "Chủ tịch UBND {d}",
    "Phó Chủ tịch UBND {d}",
    "Bí thư {du}",
    "Trưởng phòng Nông nghiệp {d}",
    "Trưởng phòng Giáo dục và Đào tạo {d}",
    "Giám đốc Trung tâm Y tế {d}",
    "Trưởng Công an {d}",
    "Trưởng phòng Văn hóa và Thông tin {d}",
)
COMMUNE_ROLES: tuple[str, ...] = (
    "Chủ tịch UBND {c}",
    "Phó Chủ tịch UBND {c}",
    "Bí thư Đảng ủy {c}",
    "Trưởng Công an {c}",
    "Chủ tịch Hội Nông dân {c}",
)

BYLINE_FIRST: tuple[str, ...] = ("Minh", "Thanh", "Hoàng", "Phương", "Ngọc", "Đức", "Kim", "Hải") + (
    "Quốc",
    "Bảo",
    "Xuân",
    "Văn",
    "Hồng",
    "Thu",
    "Anh",
)
BYLINE_LAST: tuple[str, ...] = ("Hà", "Tùng", "Anh", "Thảo", "Sơn", "Trung", "Thoa", "Yến") + (
    "Việt",
    "Ngọc",
    "Thịnh",
    "Nhiều",
    "Châu",
    "Lâm",
    "Hiền",
    "Khang",
)

PROJECTS: tuple[str, ...] = (
    "dự án hồ chứa nước {river}",
    "dự án đường ven biển đoạn qua {d}",
    "dự án nâng cấp Quốc lộ {road}",
    "dự án khu dân cư {c}",
    "dự án kè chống sạt lở bờ sông {river}",
    "dự án cấp nước sinh hoạt cho {d}",
    "dự án Trường THPT {name}",
    "dự án điện mặt trời {c}",
    "dự án mở rộng Bệnh viện Đa khoa tỉnh",
    "dự án cụm công nghiệp {c}",
)
RIVERS: tuple[str, ...] = (
    "Sông Cái",
    "Sông Dinh",
    "Sông Lũy",
    "Sông Chò",
    "Sông Hồng",
    "Sông Đáy",
    "Sông Quao",
)
