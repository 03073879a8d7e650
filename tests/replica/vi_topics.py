"""Sentence, title and quote templates per news category for the replica's text generator.

Placeholders are filled by ``textgen.Slots``: fixed per article (``P``, ``huyen``, ``xa``, ``thon``, ``sp``,
``dd``, ``lh``, ``da``, ``qc``, ``ngay``...) or drawn afresh at every use (``n1``..``n4``, ``pct``, ``ty``,
``qc2``, ``dan``...). A ``C_`` prefix capitalises the first letter. Quotes starting with ``~`` are said
by a citizen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """Templates of one category."""

    slug: str
    name: str
    titles: tuple[str, ...]
    sapos: tuple[str, ...]
    sentences: tuple[str, ...]
    quotes: tuple[str, ...]
    captions: tuple[str, ...]
    tags: tuple[str, ...]
    title_sapo: tuple[int, ...] = ()  # index into ``sapos`` of the lead that fits each title


THOI_SU = Topic(
    slug="thoi-su",
    name="Thời sự",
    titles=(
        "{C_huyen} tổng kết công tác xây dựng chính quyền năm {nam}",
        "Lãnh đạo tỉnh tiếp xúc cử tri {huyen}",
        "Kiểm tra tiến độ {da}",
        "{C_xa} đạt chuẩn nông thôn mới nâng cao",
        "HĐND tỉnh {P} khai mạc kỳ họp thứ {k}",
        "Đẩy mạnh cải cách thủ tục hành chính ở {huyen}",
        "UBND tỉnh làm việc với {huyen} về giải phóng mặt bằng",
        "Chuyển đổi số trong cơ quan nhà nước tại {huyen}: kết quả bước đầu",
        "Ban Thường vụ Tỉnh ủy {P} cho ý kiến về quy hoạch {huyen}",
        "Đối thoại với nhân dân {xa} về bồi thường, tái định cư",
    ),
    sapos=(
        "{C_buoi} {ngay}, {qc} chủ trì buổi làm việc với {huyen} để đánh giá kết quả thực hiện nhiệm vụ "
        "phát triển kinh tế - xã hội {ky}.",
        "Ngày {ngay}, đoàn công tác của tỉnh {P} do {qc} làm trưởng đoàn đã kiểm tra thực tế tại {xa}, "
        "{huyen}.",
        "Trong {ky}, {huyen} đã hoàn thành {pct} kế hoạch đề ra, nhiều chỉ tiêu quan trọng đạt và vượt "
        "so với cùng kỳ.",
        "Ngày {ngay}, đoàn đại biểu HĐND tỉnh {P} do {qc} làm trưởng đoàn đã tiếp xúc cử tri {xa}, "
        "{huyen} trước kỳ họp thường lệ.",
        "Sau {n1} năm nỗ lực, {xa}, {huyen} đã hoàn thành các tiêu chí xã nông thôn mới nâng cao, thu "
        "nhập bình quân đạt {n2} triệu đồng/người/năm.",
        "{C_buoi} {ngay}, HĐND tỉnh {P} khóa XI khai mạc kỳ họp thường lệ để xem xét nhiều nội dung quan "
        "trọng về kinh tế - xã hội và ngân sách.",
        "Thời gian qua, {huyen} đã triển khai nhiều giải pháp cải cách thủ tục hành chính và chuyển đổi "
        "số, tạo thuận lợi cho người dân và doanh nghiệp.",
        "{C_buoi} {ngay}, {qc} đã chủ trì buổi đối thoại với các hộ dân {xa} có đất bị thu hồi để thực "
        "hiện {da}.",
    ),
    sentences=(
        "Theo báo cáo, {ky}, {huyen} đã giải ngân {pct} kế hoạch vốn đầu tư công, cao hơn mức bình quân "
        "chung của tỉnh.",
        "Tổng thu ngân sách trên địa bàn ước đạt {ty}, bằng {pct} dự toán năm.",
        "Công tác cải cách hành chính có nhiều chuyển biến, tỷ lệ hồ sơ giải quyết đúng hạn đạt {pct}.",
        "Toàn huyện hiện có {n2} xã đạt chuẩn nông thôn mới, trong đó {n1} xã đạt chuẩn nông thôn mới "
        "nâng cao.",
        "Tại buổi làm việc, lãnh đạo {huyen} kiến nghị tỉnh quan tâm bố trí vốn cho {da}.",
        "Cử tri {xa2} phản ánh tình trạng xuống cấp của tuyến đường liên thôn dài khoảng {km}.",
        "Nhiều ý kiến đề nghị các ngành chức năng sớm giải quyết dứt điểm vướng mắc trong công tác bồi "
        "thường, giải phóng mặt bằng.",
        "Đến nay, đã có {n3} hộ dân bàn giao mặt bằng với tổng diện tích {ha}.",
        "Kỳ họp xem xét, thông qua {n2} nghị quyết liên quan đến đầu tư công, ngân sách và chính sách an "
        "sinh xã hội.",
        "Hệ thống dịch vụ công trực tuyến của tỉnh đã tiếp nhận {n4} hồ sơ, tỷ lệ hồ sơ trực tuyến toàn "
        "trình đạt {pct}.",
        "{C_qc2} nhấn mạnh các địa phương cần chỉ đạo quyết liệt, không để chậm tiến độ các công trình "
        "trọng điểm.",
        "Phát biểu chỉ đạo, {qc} đánh giá cao những kết quả mà {huyen} đạt được trong thời gian qua.",
        "Bên cạnh kết quả đạt được, một số dự án còn chậm tiến độ do vướng mắc về đất đai và nguồn vốn.",
        "{C_huyen} đặt mục tiêu đến cuối năm {nam} giảm tỷ lệ hộ nghèo xuống còn {pct_small}.",
    ),
    quotes=(
        "Chúng tôi xác định cải cách hành chính là khâu đột phá, lấy sự hài lòng của người dân làm thước đo",
        "Việc gì đã hứa với cử tri thì các ngành phải làm đến nơi đến chốn",
        "Giải phóng mặt bằng là yếu tố quyết định, địa phương phải bám sát từng hộ dân để vận động",
    ),
    captions=(
        "{C_qc2} phát biểu tại buổi làm việc.",
        "Quang cảnh hội nghị tại {huyen}.",
        "Đoàn công tác kiểm tra thực tế tại {xa}.",
    ),
    tags=("cải cách hành chính", "chuyển đổi số", "nông thôn mới", "tiếp xúc cử tri", "đầu tư công"),
    title_sapo=(2, 3, 1, 4, 5, 6, 0, 6, 0, 7),
)

KINH_TE = Topic(
    slug="kinh-te",
    name="Kinh tế",
    titles=(
        "Nông dân {xa} trúng mùa {sp}",
        "{C_huyen} thu hút {n2} dự án đầu tư trong {ky}",
        "Giá {sp} tăng, nông dân {huyen} phấn khởi",
        "Tháo gỡ khó khăn cho doanh nghiệp trên địa bàn {huyen}",
        "Kim ngạch xuất khẩu của {P} đạt {usd} trong {ky}",
        "Phát triển sản phẩm OCOP từ {sp} ở {xa}",
        "Khởi công {da}",
        "Giải ngân vốn đầu tư công tại {huyen} đạt {pct}",
        "Mở rộng diện tích trồng {sp} theo tiêu chuẩn VietGAP tại {huyen}",
        "Hợp tác xã ở {xa} liên kết tiêu thụ {sp} cho nông dân",
    ),
    sapos=(
        "Những ngày này, nông dân {xa}, {huyen} đang tất bật thu hoạch {sp}. Năng suất và giá bán đều tăng "
        "giúp nhiều hộ có thu nhập khá.",
        "Trong {ky}, tỉnh {P} đã thu hút thêm {n2} dự án với tổng vốn đăng ký {ty}, tập trung vào công "
        "nghiệp chế biến và năng lượng.",
        "{C_buoi} {ngay}, {qc} chủ trì hội nghị gặp gỡ, đối thoại với doanh nghiệp để tháo gỡ khó khăn "
        "trong sản xuất, kinh doanh.",
        "Trong {ky}, hoạt động xuất khẩu của tỉnh {P} tiếp tục khởi sắc với các mặt hàng chủ lực như "
        "{sp}, thủy sản và sản phẩm chế biến.",
        "Từ nguồn nguyên liệu {sp} sẵn có, nhiều hợp tác xã và hộ kinh doanh ở {xa} đã xây dựng thương "
        "hiệu, đưa sản phẩm đạt chuẩn OCOP.",
        "{C_buoi} {ngay}, UBND tỉnh {P} tổ chức lễ khởi công {da} với tổng mức đầu tư {ty}.",
        "Tính đến ngày {ngay_truoc}, {huyen} đã giải ngân phần lớn kế hoạch vốn đầu tư công năm {nam}, "
        "nhiều công trình cơ bản đáp ứng tiến độ.",
        "Nhằm nâng cao giá trị sản phẩm, {huyen} đang khuyến khích nông dân mở rộng diện tích sản xuất "
        "{sp} theo tiêu chuẩn VietGAP.",
    ),
    sentences=(
        "Năm nay, toàn {xa} có khoảng {ha} trồng {sp}, năng suất bình quân đạt {n2} tạ/ha.",
        "Với giá bán dao động quanh mức {gia}, mỗi ha {sp} cho lãi khoảng {trieu}.",
        "Nhiều hộ đã mạnh dạn chuyển đổi từ cây trồng kém hiệu quả sang trồng {sp}, áp dụng hệ thống tưới "
        "nhỏ giọt tiết kiệm nước.",
        "Hợp tác xã nông nghiệp {xa_ten} hiện có {n2} thành viên, liên kết bao tiêu sản phẩm cho hơn {n3} "
        "hộ nông dân.",
        "Trong {ky}, tỉnh {P} đã cấp mới giấy chứng nhận đăng ký đầu tư cho {n2} dự án với tổng vốn {ty}.",
        "Sản lượng khai thác thủy sản ước đạt {tan}, tăng {pct_small} so với cùng kỳ năm trước.",
        "Chỉ số sản xuất công nghiệp tăng {pct_small}, trong đó ngành chế biến, chế tạo tiếp tục giữ vai "
        "trò động lực.",
        "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng đạt {ty}.",
        "Hiện toàn tỉnh có {n2} sản phẩm được công nhận đạt chuẩn OCOP từ 3 sao trở lên.",
        "Doanh nghiệp phản ánh còn gặp khó khăn trong tiếp cận vốn vay, thủ tục đất đai và nguồn nhân lực "
        "chất lượng cao.",
        "Ngành nông nghiệp khuyến cáo nông dân không mở rộng diện tích ồ ạt, cần sản xuất theo chuỗi liên "
        "kết để ổn định đầu ra.",
        "{C_da} có tổng mức đầu tư {ty}, dự kiến hoàn thành trong năm {nam_sau}.",
        "Đến nay, khối lượng thi công đạt khoảng {pct}, nhà thầu đang huy động {n2} máy móc, thiết bị làm "
        "việc cả ngày lẫn đêm.",
        "Các ngân hàng trên địa bàn đã giải ngân {ty} cho vay hỗ trợ sản xuất, kinh doanh với lãi suất "
        "ưu đãi.",
    ),
    quotes=(
        "~Nhờ làm theo quy trình VietGAP nên {sp} của gia đình tôi bán được giá cao hơn, thương lái đến tận "
        "vườn thu mua",
        "Tỉnh sẽ tiếp tục đồng hành, tháo gỡ kịp thời vướng mắc để doanh nghiệp yên tâm mở rộng sản xuất",
        "~Năm nay thời tiết thuận lợi, {sp} đạt năng suất cao nhất từ trước đến nay",
    ),
    captions=(
        "Nông dân {xa} thu hoạch {sp}.",
        "Công nhân thi công {da}.",
        "Sản phẩm {sp} đạt chuẩn OCOP được trưng bày tại hội chợ.",
    ),
    tags=("nông nghiệp", "OCOP", "VietGAP", "thu hút đầu tư", "xuất khẩu", "doanh nghiệp"),
    title_sapo=(0, 1, 0, 2, 3, 4, 5, 6, 7, 4),
)

XA_HOI = Topic(
    slug="xa-hoi",
    name="Xã hội",
    titles=(
        "Trường học ở {huyen} sẵn sàng cho năm học mới",
        "Trung tâm Y tế {huyen} tăng cường phòng, chống sốt xuất huyết",
        "Hỗ trợ {n3} hộ nghèo {huyen} xây dựng nhà ở",
        "{C_huyen} giải quyết việc làm cho {n4} lao động",
        "Trao {n3} suất học bổng cho học sinh khó khăn tại {huyen}",
        "Tiêm chủng mở rộng cho trẻ em vùng sâu {huyen}",
        "Nâng cao chất lượng khám, chữa bệnh bảo hiểm y tế tại trạm y tế {xa}",
        "Bàn giao nhà Đại đoàn kết cho hộ nghèo {xa}",
    ),
    sapos=(
        "Để chuẩn bị cho năm học mới, ngành giáo dục {huyen} đã chủ động sửa chữa trường lớp, bổ sung "
        "trang thiết bị và đội ngũ giáo viên.",
        "Trước diễn biến phức tạp của dịch bệnh, Trung tâm Y tế {huyen} đã triển khai đồng bộ nhiều biện "
        "pháp phòng, chống.",
        "Ngày {ngay}, Ủy ban MTTQ Việt Nam tỉnh {P} phối hợp với {huyen} tổ chức bàn giao nhà Đại đoàn kết "
        "cho các hộ nghèo.",
        "Thực hiện chương trình xóa nhà tạm, nhà dột nát, {huyen} đang đẩy nhanh tiến độ hỗ trợ xây mới, "
        "sửa chữa nhà ở cho hộ nghèo, hộ cận nghèo.",
        "Nhờ thực hiện đồng bộ các giải pháp, công tác giải quyết việc làm, đào tạo nghề cho lao động ở "
        "{huyen} đạt nhiều kết quả tích cực.",
        "Ngày {ngay}, Hội Khuyến học tỉnh {P} phối hợp với các nhà tài trợ trao học bổng cho học sinh "
        "vượt khó học tốt tại {huyen}.",
        "Thời gian qua, trạm y tế {xa} đã được đầu tư trang thiết bị, nâng cao chất lượng khám, chữa bệnh"
        " bảo hiểm y tế cho người dân.",
    ),
    sentences=(
        "Năm học này, toàn {huyen} có {n2} trường học với hơn {n4} học sinh các cấp.",
        "Ngành giáo dục đã sửa chữa {n2} phòng học, mua sắm bổ sung bàn ghế, thiết bị dạy học với kinh phí "
        "{ty_small}.",
        "Từ đầu năm đến nay, trên địa bàn ghi nhận {n3} ca mắc sốt xuất huyết, giảm {pct_small} so với "
        "cùng kỳ.",
        "Trung tâm Y tế {huyen} đã phun hóa chất diệt muỗi tại {n2} ổ dịch, vận động người dân loại bỏ vật "
        "dụng chứa nước đọng.",
        "Mỗi căn nhà được hỗ trợ {trieu} từ Quỹ Vì người nghèo, phần còn lại do gia đình và người thân đóng "
        "góp.",
        "Tỷ lệ người dân tham gia bảo hiểm y tế đạt {pct}, vượt chỉ tiêu tỉnh giao.",
        "Trong {ky}, toàn tỉnh đã giải quyết việc làm mới cho {n4} lao động, trong đó có {n3} người đi làm "
        "việc ở nước ngoài theo hợp đồng.",
        "Chương trình tiêm chủng mở rộng đạt tỷ lệ {pct}, không để xảy ra tai biến nặng sau tiêm.",
        "Các em học sinh nhận học bổng đều có thành tích học tập tốt, vượt khó vươn lên trong cuộc sống.",
        "Trạm y tế {xa} hiện có {n1} y, bác sĩ, mỗi ngày tiếp nhận khám, chữa bệnh cho khoảng {n2} lượt "
        "người.",
        "Địa phương đã rà soát, lập danh sách {n3} hộ nghèo, hộ cận nghèo có nhu cầu hỗ trợ nhà ở.",
        "Ngân hàng Chính sách xã hội chi nhánh tỉnh đã giải ngân {ty} cho vay giải quyết việc làm.",
    ),
    quotes=(
        "~Có ngôi nhà mới kiên cố, gia đình tôi không còn lo mỗi mùa mưa bão nữa",
        "Chúng tôi ưu tiên bảo đảm đủ giáo viên, đủ phòng học để không học sinh nào phải bỏ học vì khó khăn",
        "Người dân cần chủ động đưa trẻ đi tiêm chủng đầy đủ, đúng lịch",
    ),
    captions=(
        "Nhân viên y tế khám bệnh cho người dân {xa}.",
        "Trao học bổng cho học sinh {huyen}.",
        "Căn nhà mới của gia đình {dan} ở {thon}.",
    ),
    tags=("giáo dục", "y tế", "an sinh xã hội", "giảm nghèo", "việc làm", "bảo hiểm y tế"),
    title_sapo=(0, 1, 3, 4, 5, 1, 6, 2),
)

VAN_HOA = Topic(
    slug="van-hoa",
    name="Văn hóa - Du lịch",
    titles=(
        "Khai mạc Lễ hội {lh} năm {nam}",
        "{C_dd} đón hơn {n4} lượt khách dịp nghỉ lễ",
        "Bảo tồn và phát huy giá trị di sản văn hóa tại {huyen}",
        "Liên hoan văn nghệ quần chúng {huyen} lần thứ {k}",
        "Phát triển du lịch cộng đồng gắn với {dd}",
        "Đưa văn hóa đọc đến với học sinh {xa}",
        "Khánh thành nhà văn hóa {thon}, {xa}",
        "Du lịch {P} kỳ vọng bứt phá từ sản phẩm mới",
    ),
    sapos=(
        "Tối {ngay}, tại {huyen}, UBND tỉnh {P} tổ chức khai mạc Lễ hội {lh} năm {nam} với nhiều hoạt động "
        "đặc sắc.",
        "Dịp nghỉ lễ vừa qua, {dd} thu hút đông đảo du khách đến tham quan, nghỉ dưỡng, các cơ sở lưu trú "
        "gần như kín phòng.",
        "Những năm gần đây, {huyen} chú trọng bảo tồn các giá trị văn hóa truyền thống gắn với phát triển "
        "du lịch cộng đồng.",
        "Tối {ngay}, tại {huyen}, Liên hoan văn nghệ quần chúng khai mạc với sự tham gia của {n2} đội văn"
        " nghệ đến từ các xã, thị trấn.",
        "Nhằm khơi dậy niềm đam mê đọc sách, Thư viện tỉnh {P} phối hợp với ngành giáo dục đưa xe thư "
        "viện lưu động đến với học sinh {xa}.",
        "Ngày {ngay}, {xa}, {huyen} tổ chức lễ khánh thành và đưa vào sử dụng nhà văn hóa {thon}.",
        "Với nhiều sản phẩm du lịch mới được đưa vào khai thác, ngành du lịch {P} đặt mục tiêu đón lượng "
        "khách tăng mạnh trong năm {nam}.",
    ),
    sentences=(
        "Lễ hội {lh} năm nay diễn ra trong {n1} ngày với nhiều hoạt động văn hóa, thể thao và ẩm thực "
        "đặc sắc.",
        "Theo Sở Văn hóa, Thể thao và Du lịch, trong {ky}, toàn tỉnh đón khoảng {n4} nghìn lượt khách, "
        "doanh thu du lịch đạt {ty}.",
        "Công suất phòng của các cơ sở lưu trú tại {huyen} đạt bình quân {pct}.",
        "Các đội văn nghệ mang đến chương trình với những tiết mục ca, múa, nhạc đậm đà bản sắc dân tộc.",
        "Nhà văn hóa {thon} được xây dựng trên diện tích {n3} m², tổng kinh phí {ty_small}, trong đó "
        "nhân dân đóng góp {trieu}.",
        "Tỉnh đã kiểm kê {n2} di tích, trong đó có {n1} di tích cấp quốc gia và {n2} di tích cấp tỉnh.",
        "Nhiều hộ dân tại {xa} đã cải tạo nhà ở thành homestay, phục vụ du khách trải nghiệm đời sống địa "
        "phương.",
        "Ngoài tham quan {dd}, du khách còn được thưởng thức đặc sản {sp} và tìm hiểu nghề truyền thống.",
        "Thư viện tỉnh đã luân chuyển {n4} bản sách đến các điểm trường vùng sâu, vùng xa.",
        "Ngành du lịch đang phối hợp với các hãng lữ hành xây dựng {n1} tour mới kết nối các điểm đến trong "
        "tỉnh.",
    ),
    quotes=(
        "Đây là dịp để quảng bá hình ảnh quê hương, con người {P} đến với du khách trong và ngoài nước",
        "~Lần đầu đến {dd}, tôi rất ấn tượng với cảnh quan và sự thân thiện của người dân nơi đây",
        "Giữ gìn bản sắc văn hóa cũng chính là giữ gìn tài sản quý nhất để làm du lịch",
    ),
    captions=(
        "Du khách tham quan {dd}.",
        "Tiết mục văn nghệ tại lễ khai mạc.",
        "Nhà văn hóa {thon} vừa được khánh thành.",
    ),
    tags=("du lịch", "lễ hội", "di sản", "văn hóa đọc", "du lịch cộng đồng"),
    title_sapo=(0, 1, 2, 3, 2, 4, 5, 6),
)

THE_THAO = Topic(
    slug="the-thao",
    name="Thể thao",
    titles=(
        "Khai mạc Giải bóng đá thiếu niên, nhi đồng {huyen} năm {nam}",
        "{P} giành {n1} huy chương vàng tại Giải vô địch điền kinh toàn quốc",
        "Sôi nổi Giải việt dã {huyen} mở rộng",
        "Hội khỏe Phù Đổng {huyen} thu hút {n3} vận động viên",
        "Giải đua thuyền truyền thống tại {xa}",
        "Đội tuyển bóng chuyền {P} tích cực chuẩn bị cho mùa giải mới",
        "Phong trào tập luyện thể dục thể thao phát triển mạnh ở {xa}",
    ),
    sapos=(
        "{C_buoi} {ngay}, tại sân vận động {huyen}, Ban tổ chức đã khai mạc giải đấu với sự tham gia của "
        "{n2} đội bóng.",
        "Kết thúc giải đấu, đoàn vận động viên {P} đã xuất sắc giành {n1} huy chương các loại, vượt chỉ "
        "tiêu đề ra.",
        "Phong trào thể dục thể thao quần chúng ở {xa} ngày càng phát triển, thu hút đông đảo người dân "
        "tham gia.",
        "Sáng {ngay}, tại {huyen}, Giải việt dã mở rộng năm {nam} đã thu hút hàng trăm vận động viên "
        "chuyên và không chuyên tham gia tranh tài.",
        "Hội khỏe Phù Đổng {huyen} năm nay diễn ra với nhiều môn thi đấu, là dịp để học sinh rèn luyện "
        "thể chất và giao lưu học hỏi.",
        "Trong không khí vui tươi, {xa} tổ chức giải đua thuyền truyền thống, thu hút đông đảo người dân "
        "và du khách đến cổ vũ.",
        "Để chuẩn bị cho mùa giải mới, đội tuyển bóng chuyền tỉnh {P} đang bước vào giai đoạn tập luyện "
        "với cường độ cao.",
    ),
    sentences=(
        "Giải đấu quy tụ {n2} đội bóng với hơn {n3} vận động viên đến từ các xã, phường, thị trấn.",
        "Các trận đấu diễn ra theo thể thức vòng tròn tính điểm, chọn {n1} đội có thành tích tốt nhất vào "
        "vòng chung kết.",
        "Đoàn vận động viên {P} đã giành {n1} huy chương vàng, {n1} huy chương bạc và {n1} huy chương đồng.",
        "Ban tổ chức đã trao {n2} bộ huy chương cho các vận động viên đạt thành tích cao ở các nội dung.",
        "Hiện toàn {huyen} có {n2} câu lạc bộ thể dục thể thao, tỷ lệ người dân tập luyện thường xuyên đạt "
        "{pct}.",
        "Tổng giá trị giải thưởng của giải lên tới {trieu}.",
        "Trong thời gian thi đấu, lực lượng y tế và an ninh được bố trí đầy đủ, bảo đảm an toàn cho vận "
        "động viên và khán giả.",
        "Đội tuyển đã có {n1} tháng tập huấn với cường độ cao, tham gia {n1} trận giao hữu để cọ xát.",
        "Hàng nghìn người dân đã đến cổ vũ, tạo nên không khí sôi nổi suốt những ngày diễn ra giải.",
    ),
    quotes=(
        "Các em thi đấu rất nỗ lực, đây là nền tảng tốt để phát hiện tài năng trẻ cho thể thao của tỉnh",
        "Chúng tôi đặt mục tiêu giành thứ hạng cao và từng bước nâng cao thành tích",
        "~Được thi đấu trước sự cổ vũ của bà con quê nhà là niềm vui rất lớn",
    ),
    captions=(
        "Các vận động viên tranh tài tại giải.",
        "Ban tổ chức trao cúp cho đội vô địch.",
        "Pha tranh bóng trong trận đấu khai mạc.",
    ),
    tags=("bóng đá", "điền kinh", "thể thao quần chúng", "Hội khỏe Phù Đổng", "bóng chuyền"),
    title_sapo=(0, 1, 3, 4, 5, 6, 2),
)

PHAP_LUAT = Topic(
    slug="phap-luat",
    name="Pháp luật",
    titles=(
        "Bắt đối tượng trộm cắp tài sản tại {xa}",
        "Công an {huyen} triệt phá ổ nhóm đánh bạc",
        "Xử phạt {n2} trường hợp vi phạm nồng độ cồn trên Quốc lộ {road}",
        "Tuyên truyền pháp luật về khai thác thủy sản cho ngư dân {xa}",
        "Khởi tố vụ án khai thác khoáng sản trái phép tại {huyen}",
        "Tòa án nhân dân tỉnh {P} xét xử vụ án lừa đảo chiếm đoạt tài sản",
        "Cảnh báo thủ đoạn lừa đảo qua mạng xã hội tại {huyen}",
    ),
    sapos=(
        "Công an {huyen} vừa bắt giữ {dt} để điều tra về hành vi trộm cắp tài sản.",
        "Ngày {ngay}, Tòa án nhân dân tỉnh {P} mở phiên tòa hình sự sơ thẩm xét xử vụ án lừa đảo chiếm "
        "đoạt tài sản.",
        "Trong đợt cao điểm, lực lượng Cảnh sát giao thông Công an tỉnh {P} đã phát hiện, xử lý nhiều "
        "trường hợp vi phạm.",
        "Công an {huyen} vừa phát hiện, bắt quả tang một ổ nhóm đánh bạc dưới hình thức ghi số đề, thu "
        "giữ nhiều tang vật.",
        "Nhằm nâng cao nhận thức pháp luật cho ngư dân, Bộ đội Biên phòng tỉnh {P} phối hợp với chính "
        "quyền {xa} tuyên truyền về chống khai thác hải sản bất hợp pháp.",
        "Cơ quan Cảnh sát điều tra Công an tỉnh {P} đã khởi tố vụ án hình sự về tội vi phạm quy định về "
        "khai thác tài nguyên tại {huyen}.",
        "Thời gian gần đây, trên địa bàn {huyen} xảy ra nhiều vụ lừa đảo qua mạng xã hội với thủ đoạn "
        "ngày càng tinh vi, gây thiệt hại cho người dân.",
    ),
    sentences=(
        "Qua công tác nắm tình hình, Công an {huyen} phát hiện {dt} có biểu hiện nghi vấn nên tiến hành "
        "theo dõi.",
        "Tại cơ quan công an, các đối tượng đã khai nhận toàn bộ hành vi vi phạm của mình.",
        "Lực lượng chức năng thu giữ {trieu} tiền mặt, {n1} xe máy, {n1} điện thoại di động cùng nhiều tang "
        "vật liên quan.",
        "Trong {ky}, lực lượng Cảnh sát giao thông đã kiểm tra, xử lý {n4} trường hợp vi phạm, phạt tiền "
        "{ty_small}.",
        "Theo cáo trạng, trong năm {nam_truoc}, bị cáo đã chiếm đoạt tiền của {n2} người với tổng số tiền "
        "{ty_small}.",
        "Hội đồng xét xử tuyên phạt bị cáo {n1} năm tù về tội lừa đảo chiếm đoạt tài sản.",
        "Vụ việc đang được cơ quan cảnh sát điều tra tiếp tục làm rõ, xử lý theo quy định của pháp luật.",
        "Công an tỉnh khuyến cáo người dân không cung cấp thông tin cá nhân, mã OTP cho người lạ qua điện "
        "thoại hoặc mạng xã hội.",
        "Buổi tuyên truyền thu hút {n3} ngư dân tham gia, được phát tờ rơi về các quy định chống khai thác "
        "hải sản bất hợp pháp.",
        "Kiểm tra hiện trường, lực lượng chức năng phát hiện {n1} phương tiện đang khai thác cát trái phép "
        "với khối lượng khoảng {n3} m³.",
    ),
    quotes=(
        "Chúng tôi sẽ xử lý nghiêm mọi hành vi vi phạm, không có vùng cấm, không có ngoại lệ",
        "Người dân khi phát hiện dấu hiệu nghi vấn cần báo ngay cho cơ quan công an gần nhất",
        "Lực lượng công an duy trì tuần tra, kiểm soát cả ban ngày lẫn ban đêm trên các tuyến trọng điểm",
    ),
    captions=(
        "Lực lượng chức năng làm việc với đối tượng.",
        "Cảnh sát giao thông kiểm tra nồng độ cồn người điều khiển phương tiện.",
        "Tang vật thu giữ trong vụ án.",
    ),
    tags=("an ninh trật tự", "an toàn giao thông", "lừa đảo qua mạng", "phòng chống tội phạm"),
    title_sapo=(0, 3, 2, 4, 5, 1, 6),
)

TOPICS: tuple[Topic, ...] = (THOI_SU, KINH_TE, XA_HOI, VAN_HOA, THE_THAO, PHAP_LUAT)

OPENERS: tuple[str, ...] = (
    "{C_buoi} {ngay}, tại hội trường UBND {huyen}, {qc} đã chủ trì hội nghị với sự tham dự của đại diện "
    "các sở, ngành và địa phương.",
    "Ngày {ngay}, {qc} dẫn đầu đoàn công tác đi kiểm tra thực tế tại {xa}, {huyen}.",
    "Thực hiện kế hoạch năm {nam}, những ngày qua, {huyen} đã triển khai đồng bộ nhiều giải pháp.",
    "Những ngày đầu tháng {m}, về {xa}, {huyen}, chúng tôi ghi nhận không khí làm việc khẩn trương của "
    "người dân và cán bộ cơ sở.",
    "Theo thông tin từ UBND {huyen}, tính đến ngày {ngay_truoc}, địa phương đã cơ bản hoàn thành các "
    "nhiệm vụ trọng tâm đề ra.",
)

GENERIC: tuple[str, ...] = (
    "Thời gian tới, {huyen} sẽ chỉ đạo các ngành chức năng phối hợp chặt chẽ để triển khai hiệu quả các "
    "nhiệm vụ đề ra.",
    "Lãnh đạo địa phương cho biết sẽ tổng hợp ý kiến, kiến nghị để báo cáo cấp có thẩm quyền xem xét, "
    "giải quyết.",
    "Dịp này, {n2} tập thể và {n2} cá nhân có thành tích xuất sắc đã được tặng giấy khen.",
    "Theo kế hoạch, mô hình sẽ được nhân rộng ra {n2} xã, phường khác trong năm {nam_sau}.",
    "Người dân địa phương đánh giá cao sự quan tâm của các cấp chính quyền trong thời gian qua.",
    "Ngân sách tỉnh đã bố trí {ty} để thực hiện các nội dung trên.",
    "Cùng ngày, đoàn đã đến thăm, tặng quà cho {n2} hộ gia đình chính sách tại {xa2}.",
    "Công tác tuyên truyền được đẩy mạnh trên hệ thống loa truyền thanh cơ sở và các nền tảng số.",
    "Địa phương cũng chú trọng ứng dụng công nghệ thông tin trong quản lý, điều hành.",
    "Đến cuối năm {nam}, {huyen} phấn đấu {pct} thôn, khu phố có mô hình tự quản về an ninh trật tự.",
    "Theo {qc2}, đây là năm bản lề để địa phương tạo đà cho giai đoạn phát triển tiếp theo.",
    "Tại {xa2}, {dan} cho biết cuộc sống của người dân đã có nhiều đổi thay so với trước.",
)

CLOSERS: tuple[str, ...] = (
    "Kết luận buổi làm việc, {qc} đề nghị các đơn vị khẩn trương khắc phục hạn chế, phấn đấu hoàn thành "
    "kế hoạch năm {nam}.",
    "Chương trình sẽ kéo dài đến hết ngày {ngay_sau}.",
    "Dự kiến trong tháng {m_sau}, địa phương sẽ tổ chức sơ kết, rút kinh nghiệm để triển khai các bước "
    "tiếp theo.",
    "Các đơn vị liên quan được giao rà soát, báo cáo kết quả thực hiện trước ngày {ngay_sau}.",
)

QUOTE_FRAMES_OFFICIAL: tuple[str, ...] = (
    '{C_qc} cho biết: "{q}."',
    '"{q}", {qc} nhấn mạnh.',
    'Trao đổi với phóng viên, {qc} khẳng định: "{q}."',
)
QUOTE_FRAMES_CITIZEN: tuple[str, ...] = (
    '{C_dan} chia sẻ: "{q}."',
    '"{q}", {dan} nói.',
)

COMMENTS: tuple[str, ...] = (
    "Mong các cấp chính quyền tiếp tục quan tâm hơn nữa đến người dân vùng sâu, vùng xa.",
    "Bài viết rất hay, cảm ơn phóng viên đã phản ánh kịp thời.",
    "Quê tôi ở {huyen}, đọc tin mà thấy tự hào quá.",
    "Đề nghị ngành chức năng kiểm tra thêm tuyến đường qua {xa}, xuống cấp lâu rồi.",
    "Chúc mừng bà con {xa}!",
    "Hy vọng những mô hình như thế này được nhân rộng ở nhiều địa phương khác.",
    "Thông tin hữu ích, tôi sẽ chia sẻ cho người thân cùng biết.",
)
