"""click's own messages come out in Vietnamese."""

from click.testing import CliRunner

from thidua_xl.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args), prog_name="thidua")


def test_usage_and_missing_argument():
    result = invoke("run")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "Cách dùng: thidua run [TÙY_CHỌN] TỆP|THƯ_MỤC"
    assert "Lỗi: Thiếu tham số 'TỆP|THƯ_MỤC'." in result.stderr


def test_unknown_command_and_missing_file():
    assert "Lỗi: Không có lệnh 'nope'." in invoke("nope").stderr
    assert ("Lỗi: Giá trị không hợp lệ cho 'TỆP|THƯ_MỤC': không có tệp hay thư mục "
            "'/khong/co/so.xlsx'.") in invoke("check", "/khong/co/so.xlsx").stderr


def test_help_sections():
    out = invoke("new", "--help").output
    assert out.startswith("Cách dùng: thidua new")
    assert "\nTùy chọn:\n" in out and "[bắt buộc]" in out
